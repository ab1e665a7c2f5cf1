package dev.kiln.collab;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln's ChangeSet against cases produced by the real {@code @codemirror/state} (src/test/golden/generate.mjs):
 * the same JSON, documents and positions, so the browser and the server never disagree.
 */
class ChangeSetGoldenTest {

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases(String file) throws IOException {
        try (var in = ChangeSetGoldenTest.class.getResourceAsStream("/golden/" + file)) {
            var root = new ObjectMapper().readValue(in, Map.class);
            return (List<Map<String, Object>>) root.get("cases");
        }
    }

    @TestFactory
    Stream<DynamicTest> matchesCodeMirror() throws IOException {
        var cases = cases("changeset-cases.json");
        assertThat(cases).hasSizeGreaterThan(1000);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("kind") + " " + c, () -> check(c)));
    }

    /** Compositions of several edits, the shape of a client's pending changes and of a batch of updates. */
    @TestFactory
    Stream<DynamicTest> matchesCodeMirrorOnChainsOfEdits() throws IOException {
        var cases = cases("changeset-chains.json");
        assertThat(cases).hasSizeGreaterThan(900);
        return cases.stream().map(c -> DynamicTest.dynamicTest(c.get("kind") + " " + c, () -> check(c)));
    }

    private static void check(Map<String, Object> c) {
        switch ((String) c.get("kind")) {
            case "apply" -> {
                var changes = ChangeSet.fromJson(c.get("changes"));
                assertThat(changes.apply((String) c.get("doc"))).isEqualTo(c.get("result"));
                assertThat(changes.toJson()).isEqualTo(c.get("changes"));
                var appended = new StringBuilder();
                changes.appendJson(appended);
                assertThat(new ObjectMapper().readValue(appended.toString(), Object.class)).isEqualTo(c.get("changes"));
                var inPlace = new StringBuilder((String) c.get("doc"));
                changes.applyInPlace(inPlace);
                assertThat(inPlace.toString()).isEqualTo(c.get("result"));
            }
            case "compose" -> {
                var composed = ChangeSet.fromJson(c.get("a")).compose(ChangeSet.fromJson(c.get("b")));
                assertThat(composed.toJson()).isEqualTo(c.get("composed"));
                assertThat(composed.apply((String) c.get("doc"))).isEqualTo(c.get("result"));
            }
            case "map" -> {
                var a = ChangeSet.fromJson(c.get("a"));
                var b = ChangeSet.fromJson(c.get("b"));
                var mapped = a.map(b, (Boolean) c.get("before"));
                assertThat(mapped.toJson()).isEqualTo(c.get("mapped"));
                assertThat(b.compose(mapped).apply((String) c.get("doc"))).isEqualTo(c.get("result"));
            }
            case "mapPos" -> assertThat(ChangeSet.fromJson(c.get("changes"))
                    .mapPos(((Number) c.get("pos")).intValue(), ((Number) c.get("assoc")).intValue()))
                    .isEqualTo(((Number) c.get("result")).intValue());
            default -> throw new IllegalStateException("unknown case " + c.get("kind"));
        }
    }
}
