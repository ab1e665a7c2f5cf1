package dev.kiln.server.security;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;

/** The throttle as data, with a clock the test moves: no sleeping. */
class LoginThrottleTest {

    /** A clock that only moves when told. */
    static final class TestClock extends Clock {
        private Instant now = Instant.parse("2026-12-01T10:00:00Z");

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    final TestClock clock = new TestClock();
    final LoginThrottle throttle = new LoginThrottle(clock);

    @Test
    void fiveFailuresAreFreeThenEachFailureDoublesTheWait() {
        for (int i = 0; i < 5; i++) {
            assertThat(throttle.waitUntil("ada", "10.0.0.1")).isEmpty();
            assertThat(throttle.failed("ada", "10.0.0.1")).isEmpty();
        }
        assertThat(throttle.waitUntil("ada", "10.0.0.1")).isEmpty();
        var started = throttle.failed("ada", "10.0.0.1");
        assertThat(started).singleElement().satisfies(w -> assertThat(w.until()).isEqualTo(clock.instant().plusSeconds(30)));
        // From any address: the account waits.
        assertThat(throttle.waitUntil("ada", "192.0.2.7")).contains(clock.instant().plusSeconds(30));
        assertThat(throttle.waitUntil("ADA", "192.0.2.7")).as("names differ only in case").isPresent();
        // Other accounts from another address do not.
        assertThat(throttle.waitUntil("bob", "192.0.2.7")).isEmpty();

        clock.advance(Duration.ofSeconds(30));
        assertThat(throttle.waitUntil("ada", "10.0.0.1")).isEmpty();
        throttle.failed("ada", "10.0.0.1");
        assertThat(throttle.waitUntil("ada", "10.0.0.1")).contains(clock.instant().plusSeconds(60));
        clock.advance(Duration.ofSeconds(60));
        throttle.failed("ada", "10.0.0.1");
        assertThat(throttle.waitUntil("ada", "10.0.0.1")).contains(clock.instant().plusSeconds(120));
    }

    @Test
    void theWaitStopsAtFifteenMinutes() {
        for (int i = 0; i < 40; i++) {
            throttle.failed("ada", "10.0.0." + i);
            clock.advance(Duration.ofMinutes(15));
        }
        throttle.failed("ada", "10.0.0.99");
        assertThat(throttle.waitUntil("ada", "10.0.0.99")).contains(clock.instant().plus(Duration.ofMinutes(15)));
        assertThat(LoginThrottle.ACCOUNT.waitAfter(1000)).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void aSuccessClearsTheAccountButNotTheAddress() {
        for (int i = 0; i < 25; i++) {
            throttle.failed("user" + i, "203.0.113.9");
        }
        assertThat(throttle.waitUntil("someone-else", "203.0.113.9")).as("the address sprayed 25 accounts").isPresent();
        for (int i = 0; i < 5; i++) {
            throttle.failed("ada", "10.0.0.1");
        }
        throttle.succeeded("ada");
        throttle.failed("ada", "10.0.0.1");
        assertThat(throttle.waitUntil("ada", "10.0.0.1")).as("the count started again after the success").isEmpty();
        throttle.succeeded("user0");
        assertThat(throttle.waitUntil("user0", "203.0.113.9")).as("a success does not clear the address").isPresent();
    }

    @Test
    void aKeyWithoutFailuresForAnHourIsForgotten() {
        for (int i = 0; i < 5; i++) {
            throttle.failed("ada", "10.0.0.1");
        }
        clock.advance(Duration.ofMinutes(61));
        assertThat(throttle.failed("ada", "10.0.0.1")).as("counting from one again").isEmpty();
    }

    @Test
    void theTableIsBounded() {
        var small = new LoginThrottle(clock, 100);
        for (int i = 0; i < 10_000; i++) {
            small.failed("user" + i, "10.1." + (i / 250) + "." + (i % 250));
        }
        assertThat(small.size()).isLessThanOrEqualTo(100);
    }

    @Test
    void ipv6AddressesCountByTheirSlash64() {
        assertThat(LoginThrottle.addressKey("2001:db8:1:2:aaaa::1")).isEqualTo(LoginThrottle.addressKey("2001:db8:1:2:bbbb::2"));
        assertThat(LoginThrottle.addressKey("2001:db8:1:2::1")).isNotEqualTo(LoginThrottle.addressKey("2001:db8:1:3::1"));
        assertThat(LoginThrottle.addressKey("192.0.2.1")).isNotEqualTo(LoginThrottle.addressKey("192.0.2.2"));
        assertThat(LoginThrottle.addressKey("not-an-address.example")).isEqualTo("address:not-an-address.example");
    }
}
