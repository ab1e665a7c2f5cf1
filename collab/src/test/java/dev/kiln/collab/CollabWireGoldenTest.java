package dev.kiln.collab;

import dev.kiln.collab.CollabConnectionTest.Recorder;
import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.CollabRoom.Role;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of message the server sends, from a scripted session, kept as golden JSON that the browser's parser is
 * tested against too (frontend/test/golden.test.ts), so the two sides cannot drift apart: a change to what the
 * server sends fails here first; rewrite the file with {@code -Dkiln.golden.write=true} and the TypeScript test then
 * says whether the browser still reads it.
 */
class CollabWireGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/collab-wire.json");

    @Test
    void theServersMessagesAreTheGoldenOnes() throws Exception {
        var authority = DocumentAuthority.open(new InMemoryDocumentStore(), new DocumentAuthority.Limits(10, 1000, 2, 100),
                Clock.systemUTC(), "hello", "b");
        var room = new CollabRoom(authority, new CollabRoom.ConnectionLimits(50, 20, 4096));
        var ada = new Recorder();
        var viewer = new Recorder();
        var adaConnection = room.connect(new Participant(1, "Ada", "ada@x", "#c62828", Role.EDITOR), ada);
        var viewerConnection = room.connect(new Participant(2, "Bo", "bo@x", "#1565c0", Role.VIEWER), viewer);
        var cy = new Recorder();
        var cyConnection = room.connect(new Participant(3, "Cy", "cy@x", "#2e7d32", Role.EDITOR), cy);
        adaConnection.onMessage("{\"type\":\"push\",\"version\":0,\"updates\":[]}"); // before hello
        adaConnection.onMessage("{\"type\":\"hello\",\"clientId\":\"ada-1\"}");
        viewerConnection.onMessage("{\"type\":\"hello\",\"clientId\":\"bo-1\"}");
        cyConnection.onMessage("{\"type\":\"hello\",\"clientId\":\"cy-1\"}");
        room.flushPresence();
        adaConnection.onMessage(push(0, "[5,[0,\"!\"]]")); // "hello!", version 1
        adaConnection.onMessage(push(1, "[6,[0,\"?\"]]")); // "hello!?", version 2
        cyConnection.onMessage(push("cy-1", 1, "[[0,\">\"],6]")); // based on 1, rebased over 2: version 3
        adaConnection.onMessage(push(3, "[8,[0,\"0123456789ab\"]]")); // over maxChangeChars: refused
        viewerConnection.onMessage(push(3, "[8,[0,\"x\"]]")); // a viewer: read-only
        adaConnection.onMessage("{\"type\":\"cursor\",\"version\":3,\"anchor\":1,\"head\":3}");
        room.flushPresence();
        adaConnection.onMessage(push(3, "[8,[0,\".\"]]")); // version 4
        adaConnection.onMessage(push(4, "[9,[0,\".\"]]")); // version 5
        adaConnection.onMessage(push(0, "[5,[0,\"late\"]]")); // version 0 is no longer kept: stale
        adaConnection.onMessage("{\"type\":\"pull\",\"version\":0}"); // too old: resync
        adaConnection.onMessage("{\"type\":\"pull\",\"version\":4}");
        adaConnection.onMessage("{\"type\":\"ping\"}");
        adaConnection.onMessage("{\"type\":\"teleport\"}");
        viewerConnection.onClose();
        room.flushPresence();
        var reconnected = new Recorder();
        room.connect(new Participant(1, "Ada", "ada@x", "#c62828", Role.EDITOR), reconnected)
                .onMessage("{\"type\":\"hello\",\"clientId\":\"ada-2\",\"version\":4}");

        ArrayNode messages = CollabConnectionTest.JSON.createArrayNode();
        ada.sent.forEach(messages::add);
        viewer.sent.forEach(messages::add);
        cy.sent.forEach(messages::add);
        reconnected.sent.forEach(messages::add);
        String actual = CollabConnectionTest.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(messages) + "\n";
        if (Boolean.getBoolean("kiln.golden.write") || !Files.exists(GOLDEN)) {
            Files.writeString(GOLDEN, actual);
        }
        assertThat(actual).isEqualTo(Files.readString(GOLDEN));
        for (var type : new String[] {"welcome", "updates", "resync", "pushed", "presence", "pong", "error"}) {
            assertThat(messages.valueStream().map(m -> m.path("type").asString())).as("a %s message", type).contains(type);
        }
        assertThat(messages.valueStream().filter(m -> m.path("type").asString().equals("pushed")).map(JsonNode::toString))
                .anyMatch(m -> m.contains("\"stale\"")).anyMatch(m -> m.contains("\"refused\"")).anyMatch(m -> m.contains("\"rebased\""));
    }

    private static String push(int version, String changes) {
        return push("ada-1", version, changes);
    }

    private static String push(String clientId, int version, String changes) {
        return "{\"type\":\"push\",\"version\":" + version + ",\"updates\":[{\"clientId\":\"" + clientId + "\",\"changes\":" + changes + "}]}";
    }
}
