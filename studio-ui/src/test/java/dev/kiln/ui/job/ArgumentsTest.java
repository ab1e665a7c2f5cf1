package dev.kiln.ui.job;

import java.util.List;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArgumentsTest {
    @Test
    void splitsLikeAShell() {
        assertThat(Arguments.split("  --trainer.max-epochs=3   samples=4096 ")).containsExactly(
                "--trainer.max-epochs=3", "samples=4096");
        assertThat(Arguments.split("query=\"select a, b from t where c = 'x'\" label=y")).containsExactly(
                "query=select a, b from t where c = 'x'", "label=y");
        assertThat(Arguments.split("name='two words' path=a\\ b empty=\"\"")).containsExactly(
                "name=two words", "path=a b", "empty=");
        assertThat(Arguments.split("")).isEmpty();
        assertThatThrownBy(() -> Arguments.split("query=\"select 1")).hasMessageContaining("not closed");
    }

    @Test
    void joinIsTheInverseOfSplit() {
        var args = List.of("--trainer.max-epochs=3", "query=select a, b from t", "quote=\"", "back\\slash", "");
        assertThat(Arguments.split(Arguments.join(args))).isEqualTo(args);
    }
}
