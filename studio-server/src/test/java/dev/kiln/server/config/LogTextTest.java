package dev.kiln.server.config;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LogTextTest {

    @Test
    void lineBreaksAndControlCharactersCannotForgeALogLine() {
        var forged = "bob\r\n2026-12-01T10:00:00Z  INFO kiln : admin signed in\u001b[2J\u0000";
        var clean = LogText.clean(forged);
        assertThat(clean).doesNotContain("\n", "\r", "\u001b", "\u0000");
        assertThat(clean).isEqualTo("bob\\r\\n2026-12-01T10:00:00Z  INFO kiln : admin signed in\\u001b[2J\\u0000");
        assertThat(LogText.clean("a\u2028b\u202ec")).isEqualTo("a\\u2028b\\u202ec");
        assertThat(LogText.clean("back\\slash")).isEqualTo("back\\\\slash");
        assertThat(LogText.clean(null)).isEqualTo("null");
        assertThat(LogText.clean("Ünïcödé ok")).isEqualTo("Ünïcödé ok");
    }

    @Test
    void longTextIsCut() {
        var clean = LogText.clean("x".repeat(10_000));
        assertThat(clean).startsWith("x".repeat(LogText.MAX)).endsWith("...(" + (10_000 - LogText.MAX) + " more characters)");
    }
}
