package dev.kiln.collab;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln's authority and Java client against editing sessions of real {@code @codemirror/collab} clients
 * (src/test/golden/generate-collab.mjs): replaying every step, the Java client holds the same pending changes as the
 * browser's, the authority accepts exactly the updates the session recorded (rebased ones included), and every
 * text is the same, after each step and at the end.
 */
class CollabGoldenTest {

    @SuppressWarnings("unchecked")
    static Map<String, Object> recorded() throws IOException {
        try (var in = CollabGoldenTest.class.getResourceAsStream("/golden/collab-sessions.json")) {
            return new ObjectMapper().readValue(in, Map.class);
        }
    }

    @TestFactory
    @SuppressWarnings("unchecked")
    Stream<DynamicTest> replaysSessionsOfRealCodeMirrorClients() throws IOException {
        var sessions = (List<Map<String, Object>>) recorded().get("sessions");
        assertThat(sessions).hasSizeGreaterThanOrEqualTo(100);
        return sessions.stream().map(s -> DynamicTest.dynamicTest("session from " + s.get("start"), () -> replay(s)));
    }

    /**
     * Why the authority rebases step by step: with @codemirror/collab's own rebaseUpdates, which composes what it
     * moves over first, some of the same kind of sessions end with clients holding different texts.
     */
    @Test
    void composingBeforeRebasingWouldHaveDivergedSomewhere() throws IOException {
        assertThat(((Number) recorded().get("composedDiverged")).intValue()).isPositive();
    }

    @SuppressWarnings("unchecked")
    private static void replay(Map<String, Object> session) {
        var start = (String) session.get("start");
        var authority = DocumentAuthority.open(new InMemoryDocumentStore(), DocumentAuthority.Limits.DEFAULT, Clock.systemUTC(), start, "b");
        var clients = new HashMap<String, CollabClient>();
        for (var id : (List<String>) session.get("clients")) {
            clients.put(id, new CollabClient(id, start, 0));
        }
        var pushes = new HashMap<String, List<Update>>();
        int n = 0;
        for (var step : (List<Map<String, Object>>) session.get("steps")) {
            var client = clients.get((String) step.get("client"));
            var where = "step " + n++ + " " + step;
            switch ((String) step.get("kind")) {
                case "edit" -> client.edit(ChangeSet.fromJson(step.get("changes")));
                case "push" -> {
                    assertThat(client.version()).as(where).isEqualTo(step.get("version"));
                    var sendable = client.sendable();
                    assertThat(sendable.stream().map(u -> u.changes().toJson()).toList()).as(where).isEqualTo(json(step.get("updates")));
                    pushes.put(client.clientId(), sendable);
                }
                case "accept" -> {
                    int version = ((Number) step.get("version")).intValue();
                    int from = authority.version();
                    assertThat(from).as(where).isEqualTo(step.get("from"));
                    var result = authority.push(version, pushes.remove(client.clientId()));
                    assertThat(result).as(where).isInstanceOf(DocumentAuthority.PushResult.Accepted.class);
                    var accepted = ((DocumentAuthority.PullResult.Updates) authority.pull(from, "golden")).updates();
                    assertThat(accepted.stream().map(u -> u.changes().toJson()).toList()).as(where).isEqualTo(json(step.get("accepted")));
                    assertThat(authority.text()).as(where).isEqualTo(step.get("doc"));
                }
                case "receive" -> {
                    int from = ((Number) step.get("from")).intValue();
                    int count = ((Number) step.get("count")).intValue();
                    assertThat(client.version()).as(where).isEqualTo(from);
                    var all = ((DocumentAuthority.PullResult.Updates) authority.pull(from, client.clientId())).updates();
                    client.receive(all.subList(0, count));
                    assertThat(client.doc()).as(where).isEqualTo(step.get("doc"));
                    client.checkConsistent();
                }
                default -> throw new AssertionError("unknown step " + step);
            }
        }
        assertThat(authority.text()).isEqualTo(session.get("server"));
        for (var client : clients.values()) {
            assertThat(client.doc()).as(client.clientId()).isEqualTo(authority.text());
            assertThat(client.unconfirmedCount()).as(client.clientId()).isZero();
        }
    }

    /** Recorded JSON as the Java client writes it (numbers as integers). */
    private static Object json(Object recorded) {
        return new ObjectMapper().convertValue(recorded, List.class).stream().map(c -> ChangeSet.fromJson(c).toJson()).toList();
    }
}
