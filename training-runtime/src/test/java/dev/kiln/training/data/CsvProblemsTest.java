package dev.kiln.training.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;

/** Commons CSV's real complaints, as sentences without class names. */
class CsvProblemsTest {

    private static String problemWith(String text) {
        try (var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(text))) {
            var rows = new ArrayList<CSVRecord>();
            parser.forEach(rows::add);
            return "no problem: " + rows.size() + " rows";
        } catch (Exception e) {
            return CsvProblems.describe(e);
        }
    }

    @Test
    void realFailuresReadAsSentences() {
        assertThat(problemWith("a,b\n1,2\n3,\"unclosed\n4,5\n"))
                .isEqualTo("a quoted value that starts on line 3 is never closed (a \" is missing)");
        assertThat(problemWith("a,b\n\"1\"x,2\n")).startsWith("line 2").contains("right after a closing quote")
                .doesNotContain("org.apache");
        assertThat(problemWith("a,b\n1,2\n")).isEqualTo("no problem: 1 rows");
    }

    @Test
    void otherMessagesLoseTheirClassNames() {
        var wrapped = new java.io.UncheckedIOException(new java.io.IOException(
                "org.apache.commons.csv.CSVException: something odd at line 4"));
        assertThat(CsvProblems.describe(wrapped)).isEqualTo("something odd at line 4");
    }
}
