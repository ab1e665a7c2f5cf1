package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Known secrets become *** in whole texts and in streams cut anywhere. */
class SecretMasksTest {
    static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY";

    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void storedAndIssuedSecretsAreMaskedUntilTheTemporaryOnesExpire() {
        var clock = new MovableClock();
        var masks = new SecretMasks(clock);
        masks.loadFrom(studio -> studio.equals("s1") ? List.of(SECRET, "short", "pass\"word\\1") : List.of());
        masks.issued("s1", List.of("ASIATEMPORARYKEY", "temporary-session-token"), clock.now.plus(Duration.ofHours(1)));

        assertThat(masks.mask("s1", "key=" + SECRET + " token=temporary-session-token id=ASIATEMPORARYKEY"))
                .isEqualTo("key=*** token=*** id=***");
        assertThat(masks.mask("s1", "too short to mask: short")).endsWith("short");
        // As it looks in the JSON credentials file, and as it is.
        assertThat(masks.mask("s1", "{\"password\":\"pass\\\"word\\\\1\"} and pass\"word\\1")).isEqualTo(
                "{\"password\":\"***\"} and ***");
        assertThat(masks.mask("s2", "other studio: " + SECRET)).contains(SECRET);

        clock.now = clock.now.plus(Duration.ofHours(2));
        assertThat(masks.mask("s1", "expired: ASIATEMPORARYKEY, still: " + SECRET)).isEqualTo(
                "expired: ASIATEMPORARYKEY, still: ***");
        masks.forget("s1");
        assertThat(masks.mask("s1", SECRET)).isEqualTo("***");
    }

    @Test
    void aPrivateKeyIsMaskedLineByLineAsItIsPrinted() throws Exception {
        String pem = JdbcSettingsTest.pem(JdbcSettingsTest.rsaKey());
        var masks = new SecretMasks(Clock.systemUTC());
        masks.loadFrom(studio -> List.of(pem));
        String printed = masks.mask("s", pem);
        assertThat(printed).contains("-----BEGIN PRIVATE KEY-----").doesNotContain(pem.lines().toList().get(3));
        assertThat(printed.lines().filter(l -> !l.startsWith("-----") && !l.isEmpty()))
                .allSatisfy(line -> assertThat(line).matches("(\\*\\*\\*)+|.{0,15}"));
        String asJson = tools.jackson.databind.json.JsonMapper.shared().writeValueAsString(pem);
        assertThat(masks.mask("s", asJson)).doesNotContain(pem.lines().toList().get(2));
    }

    @Test
    void aStreamCutInsideASecretStillNeverShowsIt() {
        var masks = new SecretMasks(Clock.systemUTC());
        masks.loadFrom(studio -> List.of(SECRET));
        var screen = new StringBuffer();
        // Every way to cut the secret in two, and in single characters.
        for (int cut = 1; cut < SECRET.length(); cut++) {
            masks.stream("s", "t1", "$ cat creds\r\nsecret: " + SECRET.substring(0, cut), screen::append);
            masks.stream("s", "t1", SECRET.substring(cut) + "\r\n$ ", screen::append);
        }
        for (char c : ("one char at a time: " + SECRET + " done\r\n").toCharArray()) {
            masks.stream("s", "t2", String.valueOf(c), screen::append);
        }
        assertThat(screen.toString()).doesNotContain(SECRET).contains("secret: ***\r\n$ ")
                .contains("one char at a time: *** done");
        for (int n = 4; n < SECRET.length(); n++) {
            assertThat(screen.toString()).doesNotContain(SECRET.substring(0, n) + "\r");
        }
    }

    @Test
    void textThatOnlyLooksLikeTheStartOfASecretIsShownAfterAMoment() {
        var masks = new SecretMasks(Clock.systemUTC());
        masks.loadFrom(studio -> List.of(SECRET));
        var screen = new AtomicReference<>("");
        masks.stream("s", "t", "prompt$ wJal", text -> screen.updateAndGet(s -> s + text));
        assertThat(screen.get()).isEqualTo("prompt$ ");
        await().atMost(Duration.ofSeconds(2)).until(() -> screen.get().equals("prompt$ wJal"));
        masks.stream("s", "t", "x", text -> screen.updateAndGet(s -> s + text));
        assertThat(screen.get()).isEqualTo("prompt$ wJalx");
    }
}
