package dev.kiln.server.security;

import dev.kiln.server.config.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Service;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * The one place a user name and password are checked: the sign-in form, HTTP Basic on {@code /actuator}, git over
 * HTTP, and the current password when a user changes theirs. Every attempt goes through the {@link LoginThrottle}
 * first. An unknown user name costs the same bcrypt comparison as a known one (against a hash of a random
 * password), so the time an answer takes does not tell which names exist.
 */
@Service
public class PasswordLogin {

    private static final Logger log = LoggerFactory.getLogger(PasswordLogin.class);
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** What became of an attempt. */
    public sealed interface Outcome permits SignedIn, Refused, Disabled, Throttled {
    }

    public record SignedIn(KilnPrincipal user) implements Outcome {
    }

    /** A wrong password or an unknown user: deliberately the same answer. */
    public record Refused() implements Outcome {
        public String message() {
            return "Wrong user name or password.";
        }
    }

    /** The right password for an account an administrator disabled. */
    public record Disabled() implements Outcome {
        public String message() {
            return "This account is disabled. Ask an administrator of this Kiln to enable it again.";
        }
    }

    /** Too many failures for the account or from the address: refused without a look at the password. */
    public record Throttled(Instant retryAt, Duration waitFor) implements Outcome {
        public String message() {
            long seconds = Math.max(1, waitFor.toSeconds() + (waitFor.toMillisPart() > 0 ? 1 : 0));
            var in = seconds < 120 ? seconds + " seconds" : ((seconds + 59) / 60) + " minutes";
            return "Too many failed sign-ins for this account or from your address. Try again in " + in + " (at "
                    + TIME.format(retryAt.atZone(ZoneId.systemDefault())) + ").";
        }

        /** For {@code Retry-After}. */
        public long retryAfterSeconds() {
            return Math.max(1, (waitFor.toMillis() + 999) / 1000);
        }
    }

    private final Function<String, Optional<KilnPrincipal>> accounts;
    private final PasswordEncoder passwords;
    private final LoginThrottle throttle;
    private final Clock clock;
    /** The hash an unknown user's password is compared against; made on first use (one bcrypt, about 0.1 s). */
    private volatile String unknownUserHash;

    @Autowired
    PasswordLogin(UserAccounts accounts, PasswordEncoder passwords, Clock clock) {
        this(accounts::find, passwords, new LoginThrottle(clock), clock);
    }

    PasswordLogin(Function<String, Optional<KilnPrincipal>> accounts, PasswordEncoder passwords, LoginThrottle throttle,
                  Clock clock) {
        this.accounts = accounts;
        this.passwords = passwords;
        this.throttle = throttle;
        this.clock = clock;
    }

    /** @param clientAddress where the attempt comes from (the request's remote address), for the throttle */
    public Outcome attempt(String username, String password, String clientAddress) {
        var name = username == null ? "" : username;
        var waitUntil = throttle.waitUntil(name, clientAddress);
        if (waitUntil.isPresent()) {
            var now = clock.instant();
            // Debug only: a flood of refused attempts must not flood the log (the wait's start is a warning).
            log.debug("Sign-in for '{}' from {} refused: waiting until {}", LogText.clean(name), LogText.clean(clientAddress),
                    waitUntil.get());
            return new Throttled(waitUntil.get(), Duration.between(now, waitUntil.get()));
        }
        var account = accounts.apply(name);
        String hash = account.map(KilnPrincipal::getPassword).orElseGet(this::unknownUserHash);
        boolean matches = matches(password, hash);
        if (account.isEmpty() || !matches) {
            for (var wait : throttle.failed(name, clientAddress)) {
                log.warn("Sign-ins for {} wait until {} after {} failures (the last one for '{}' from {})",
                        LogText.clean(wait.key()), wait.until(), wait.failures(), LogText.clean(name),
                        LogText.clean(clientAddress));
            }
            return new Refused();
        }
        if (!account.get().isEnabled()) {
            return new Disabled();
        }
        throttle.succeeded(name);
        return new SignedIn(account.get());
    }

    private boolean matches(String password, String hash) {
        try {
            return password != null && passwords.matches(password, hash);
        } catch (IllegalArgumentException e) {
            // Over bcrypt's 72 bytes, or a hash no encoder knows: no password can match it.
            return false;
        }
    }

    private String unknownUserHash() {
        var hash = unknownUserHash;
        if (hash == null) {
            hash = passwords.encode(UUID.randomUUID().toString());
            unknownUserHash = hash;
        }
        return hash;
    }
}
