package dev.kiln.server;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * Kiln's server. Vaadin views live in studio-ui ({@code dev.kiln.ui}); they are scanned from here.
 */
@SpringBootApplication(scanBasePackages = "dev.kiln.server")
@ConfigurationPropertiesScan
public class KilnApplication {

    public static void main(String[] args) {
        SpringApplication.run(KilnApplication.class, args);
    }
}
