package dev.kiln.server.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/** Prints where Kiln answers once it does ("Kiln is ready at ..."): the line people and the start benchmark wait for. */
@Component
class ReadyBanner {

    private static final Logger log = LoggerFactory.getLogger("kiln");

    private final KilnProperties properties;

    ReadyBanner(KilnProperties properties) {
        this.properties = properties;
    }

    @EventListener
    void ready(ApplicationReadyEvent event) {
        var port = event.getApplicationContext().getEnvironment().getProperty("local.server.port");
        if (port != null) {
            log.info("Kiln is ready at http://localhost:{}/ (data in {})", port, properties.dataDir());
        }
    }
}
