package dev.kiln.server.data;

import org.apache.commons.csv.CSVFormat;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Data tab's previews and the jobs say the same about a broken CSV file: the server's copy of CsvProblems against
 * the training runtime's, on Commons CSV's real failures.
 */
class CsvProblemsParityTest {

    private static Exception failureOf(String text) {
        try (var parser = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).get()
                .parse(new StringReader(text))) {
            parser.forEach(row -> { });
            throw new AssertionError("expected a failure for " + text);
        } catch (Exception e) {
            return e;
        }
    }

    @Test
    void bothCopiesDescribeEachFailureAlike() {
        for (String text : List.of("a,b\n1,2\n3,\"unclosed\n4,5\n", "a,b\n\"1\"x,2\n")) {
            var failure = failureOf(text);
            assertThat(CsvProblems.describe(failure)).doesNotContain("org.apache")
                    .isEqualTo(dev.kiln.training.data.CsvProblems.describe(failure));
        }
        assertThat(CsvProblems.describe(failureOf("a,b\n1,2\n3,\"unclosed\n4,5\n")))
                .isEqualTo("a quoted value that starts on line 3 is never closed (a \" is missing)");
    }
}
