package dev.kiln.server.security;

import org.junit.jupiter.api.Test;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link PasswordLogin} with a counting encoder and a test clock: throttling, unknown users, disabled accounts. */
class PasswordLoginTest {

    /** Kiln's real encoder (bcrypt), recording every hash it is asked to compare against. */
    static final class CountingEncoder implements PasswordEncoder {
        final PasswordEncoder real = PasswordEncoderFactories.createDelegatingPasswordEncoder();
        final List<String> comparedWith = new ArrayList<>();

        @Override
        public String encode(CharSequence raw) {
            return real.encode(raw);
        }

        @Override
        public boolean matches(CharSequence raw, String encoded) {
            comparedWith.add(encoded);
            return real.matches(raw, encoded);
        }
    }

    final CountingEncoder encoder = new CountingEncoder();
    final LoginThrottleTest.TestClock clock = new LoginThrottleTest.TestClock();
    final KilnPrincipal ada = new KilnPrincipal(1, "ada", encoder.encode("right-password"), "Ada", null, false);
    final KilnPrincipal off = new KilnPrincipal(2, "off", encoder.encode("right-password"), "Off", null, false, false);
    final Map<String, KilnPrincipal> users = Map.of("ada", ada, "off", off);
    final PasswordLogin login = new PasswordLogin(name -> Optional.ofNullable(users.get(name)), encoder,
            new LoginThrottle(clock), clock);

    @Test
    void theRightPasswordSignsIn() {
        assertThat(login.attempt("ada", "right-password", "10.0.0.1")).isEqualTo(new PasswordLogin.SignedIn(ada));
        assertThat(login.attempt("ada", "wrong", "10.0.0.1")).isInstanceOf(PasswordLogin.Refused.class);
    }

    @Test
    void anUnknownUserCostsTheSameBcryptComparisonAsAKnownOne() {
        assertThat(login.attempt("nobody", "whatever", "10.0.0.1")).isInstanceOf(PasswordLogin.Refused.class);
        assertThat(login.attempt("nobody-else", "whatever", "10.0.0.1")).isInstanceOf(PasswordLogin.Refused.class);
        assertThat(encoder.comparedWith).as("the encoder ran for both unknown names").hasSize(2);
        assertThat(encoder.comparedWith.get(0)).startsWith("{bcrypt}$2a$10$").isEqualTo(encoder.comparedWith.get(1));
        // ... at the same cost as a known user's hash.
        assertThat(encoder.comparedWith.get(0).substring(0, 15)).isEqualTo(ada.getPassword().substring(0, 15));

        // And the time it takes: within a factor of two of a known user's wrong password (a fast path would be
        // a hundred times quicker than bcrypt).
        long known = timeOf(() -> login.attempt("ada", "wrong", "10.0.0.2"));
        long unknown = timeOf(() -> login.attempt("nobody", "wrong", "10.0.0.3"));
        assertThat(unknown).isGreaterThan(known / 2);
    }

    @Test
    void afterFiveFailuresEvenTheRightPasswordWaitsAndTheMessageSaysUntilWhen() {
        for (int i = 0; i < 30; i++) {
            login.attempt("ada", "wrong-" + i, "10.0.0.1");
        }
        int compared = encoder.comparedWith.size();
        assertThat(compared).as("waiting attempts are refused without a bcrypt").isEqualTo(6);
        var answer = login.attempt("ada", "right-password", "10.0.0.1");
        assertThat(answer).isInstanceOf(PasswordLogin.Throttled.class);
        var throttled = (PasswordLogin.Throttled) answer;
        assertThat(throttled.message()).startsWith("Too many failed sign-ins").contains("Try again in 30 seconds");
        assertThat(throttled.retryAfterSeconds()).isEqualTo(30);

        clock.advance(Duration.ofSeconds(31));
        assertThat(login.attempt("ada", "right-password", "10.0.0.1")).isInstanceOf(PasswordLogin.SignedIn.class);
    }

    @Test
    void aDisabledAccountIsRefusedEvenWithTheRightPassword() {
        assertThat(login.attempt("off", "right-password", "10.0.0.1")).isInstanceOf(PasswordLogin.Disabled.class);
        assertThat(((PasswordLogin.Disabled) login.attempt("off", "right-password", "10.0.0.1")).message())
                .contains("disabled");
    }

    @Test
    void aPasswordOverBcryptsLimitIsJustWrong() {
        assertThat(login.attempt("ada", "x".repeat(100), "10.0.0.1")).isInstanceOf(PasswordLogin.Refused.class);
    }

    private static long timeOf(Runnable attempt) {
        attempt.run(); // warm
        long start = System.nanoTime();
        for (int i = 0; i < 3; i++) {
            attempt.run();
        }
        return System.nanoTime() - start;
    }
}
