package dev.kiln.server.security;

import dev.kiln.server.config.KilnProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

import java.security.SecureRandom;

/**
 * On the first start (no users yet) creates the admin account. A generated password is printed once, here and
 * never again: only its hash is stored.
 */
@Component
class FirstAdmin implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger("kiln");
    private static final String ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

    private final UserAccounts accounts;
    private final KilnProperties properties;

    FirstAdmin(UserAccounts accounts, KilnProperties properties) {
        this.accounts = accounts;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (accounts.count() > 0) {
            return;
        }
        var given = properties.adminPassword();
        var password = given == null || given.isBlank() ? generate() : given;
        accounts.create(properties.adminUser(), password, "Administrator", true);
        if (given == null || given.isBlank()) {
            log.warn("""

                    ============================================================
                     Kiln created the first account. Sign in with:
                       user:     {}
                       password: {}
                     This password is shown only now; only its hash is stored.
                    ============================================================""", properties.adminUser(), password);
        } else {
            log.info("Kiln created the first account '{}' with the password from KILN_ADMIN_PASSWORD.", properties.adminUser());
        }
    }

    private static String generate() {
        var random = new SecureRandom();
        var password = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return password.toString();
    }
}
