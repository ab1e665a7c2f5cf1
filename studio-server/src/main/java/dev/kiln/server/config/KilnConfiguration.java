package dev.kiln.server.config;

import com.vaadin.flow.server.VaadinServiceInitListener;
import com.vaadin.flow.spring.annotation.EnableVaadin;
import dev.kiln.ui.component.KilnErrorHandler;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/** Wires the plain-Java modules and the Vaadin views (which live in studio-ui) into the application. */
@Configuration(proxyBeanMethods = false)
@EnableVaadin("dev.kiln.ui")
@org.springframework.scheduling.annotation.EnableScheduling
class KilnConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemDefaultZone();
    }

    @Bean
    VaadinServiceInitListener kilnErrorHandler() {
        return event -> event.getSource().addSessionInitListener(
                session -> session.getSession().setErrorHandler(new KilnErrorHandler()));
    }
}
