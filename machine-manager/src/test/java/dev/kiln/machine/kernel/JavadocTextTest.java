package dev.kiln.machine.kernel;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class JavadocTextTest {

    @Test
    void inlineTagsAndHtmlBecomePlainText() {
        // Math.max(int, int)'s javadoc as JShell's SourceCodeAnalysis.documentation gives it.
        String raw = " Returns the greater of two {@code int} values. That is, the\n"
                + " result is the argument closer to the value of\n"
                + " {@link Integer#MAX_VALUE}. If the arguments have the same value,\n"
                + " the result is that same value.\n\n"
                + " <p>See {@linkplain java.util.Map#get(Object) the map's get} and {@code Map<K, V>}; a &lt; b &amp;&amp; c.\n"
                + " <ul><li>one</li><li>two</li></ul>\n"
                + " @param   a   an argument.\n"
                + " @return  the larger of {@code a} and {@code b}.";
        assertThat(JavadocText.plain(raw)).isEqualTo("Returns the greater of two int values. That is, the\n"
                + "result is the argument closer to the value of\n"
                + "Integer.MAX_VALUE. If the arguments have the same value,\n"
                + "the result is that same value.\n\n"
                + "See the map's get and Map<K, V>; a < b && c.\n\n"
                + " - one\n - two\n"
                + "@param   a   an argument.\n"
                + "@return  the larger of a and b.");
    }

    @Test
    void nothingIsEmpty() {
        assertThat(JavadocText.plain(null)).isEmpty();
    }
}
