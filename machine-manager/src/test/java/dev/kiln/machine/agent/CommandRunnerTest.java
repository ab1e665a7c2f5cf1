package dev.kiln.machine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class CommandRunnerTest {

    @Test
    void outputIsCutOnlyBetweenWholeUtf8Characters() {
        byte[] text = "ab é € 𝄞".getBytes(StandardCharsets.UTF_8); // 1-, 2-, 3- and 4-byte characters
        for (int length = 0; length <= text.length; length++) {
            int complete = CommandRunner.completeUtf8(text, length);
            assertThat(complete).isLessThanOrEqualTo(length).isGreaterThanOrEqualTo(length - 3);
            String decoded = new String(text, 0, complete, StandardCharsets.UTF_8);
            assertThat(decoded).doesNotContain("\uFFFD");
            assertThat("ab é € 𝄞").startsWith(decoded);
        }
        assertThat(CommandRunner.completeUtf8(text, text.length)).isEqualTo(text.length);
    }
}
