package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.InMemoryDocumentStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every kind of message the notebook socket sends, from a scripted session on the real {@link LiveNotebook} and
 * {@link NotebookConnection}, kept as golden JSON that the browser's parser is tested against too
 * (frontend/test/golden.test.ts), so the two sides cannot drift apart: a change to what the server sends fails here
 * first; rewrite the file with {@code -Dkiln.golden.write=true} and the TypeScript test then says whether the browser
 * still reads it.
 */
class NotebookWireGoldenTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/notebook-wire.json");

    @Test
    void theServersMessagesAreTheGoldenOnes() throws Exception {
        var at = Instant.parse("2026-12-01T12:00:00Z");
        var initial = new Notebook(null, List.of(Notebook.Cell.code("c0", "print(1)\n"), Notebook.Cell.markdown("m0", "# Title")));
        var notebook = LiveNotebook.open("studio", "n.ipynb", initial, 0, Map.of(), Clock.fixed(at, ZoneOffset.UTC),
                new LiveNotebook.Stores() {
                    public dev.kiln.collab.DocumentStore open(String cellId) {
                        return new InMemoryDocumentStore();
                    }

                    public void delete(String cellId) {}
                }, (nb, structure) -> {});
        var sent = Notebook.JSON.createArrayNode();
        var connection = new NotebookConnection(notebook, new CollabRoom.Participant(1, "Ada", "ada@x", "#c62828",
                CollabRoom.Role.EDITOR), true, new CollabRoom.Outbox() {
            @Override
            public void send(String json) {
                sent.add(Notebook.JSON.readTree(json));
            }

            @Override
            public void close(int code, String reason) {}
        });
        connection.onMessage("{\"type\":\"hello\",\"clientId\":\"ada-1\",\"cells\":{}}");
        connection.onMessage("{\"type\":\"structure\",\"seq\":1,\"op\":{\"op\":\"insert\",\"cell\":\"c1\",\"type\":\"code\",\"after\":\"c0\",\"source\":\"x = 2\"}}");
        connection.onMessage("{\"type\":\"structure\",\"seq\":2,\"op\":{\"op\":\"move\",\"cell\":\"m0\",\"after\":null}}");
        connection.onMessage("{\"type\":\"structure\",\"seq\":3,\"op\":{\"op\":\"type\",\"cell\":\"c1\",\"type\":\"raw\"}}");
        connection.onMessage("{\"type\":\"structure\",\"seq\":4,\"op\":{\"op\":\"delete\",\"cell\":\"c1\"}}");
        connection.onMessage("{\"type\":\"cell\",\"cell\":\"c0\",\"message\":{\"type\":\"push\",\"version\":0,\"updates\":[{\"clientId\":\"ada-1\",\"changes\":[9,[0,\"#\"]]}]}}");
        connection.onMessage("{\"type\":\"focus\",\"cell\":\"c0\"}");
        notebook.flushPresence();
        var run = RunState.queued("Ada", at);
        notebook.runStarted("c0", run);
        notebook.runState("c0", run.running(at, 1));
        notebook.stream("c0", "stdout", "epoch 1\n", null);
        notebook.stream("c0", "stdout", "epoch 2\n", null);
        var display = Notebook.JSON.createObjectNode();
        display.put("output_type", "display_data");
        display.putObject("data").put("text/plain", "10%");
        display.putObject("metadata");
        display.putObject("transient").put("display_id", "progress");
        notebook.output("c0", display, false);
        var update = display.deepCopy();
        update.putObject("data").put("text/plain", "100%");
        notebook.output("c0", update, true);
        var result = Notebook.JSON.createObjectNode();
        result.put("output_type", "execute_result");
        result.put("execution_count", 1);
        result.putObject("data").put("text/plain", "2");
        result.putObject("metadata");
        notebook.output("c0", result, false);
        var error = Notebook.JSON.createObjectNode();
        error.put("output_type", "error");
        error.put("ename", "ValueError");
        error.put("evalue", "no");
        error.putArray("traceback").add("Traceback").add("ValueError: no");
        notebook.output("c0", error, false);
        notebook.runState("c0", run.running(at, 1).ended(RunState.State.ERROR, at, 1, "ValueError: no"));
        notebook.kernel(new KernelView("idle", "python3", "Python 3", "python", null,
                List.of(new KernelView.Spec("python3", "Python 3", "python"))));
        notebook.rebuildOffer(java.util.Map.of("c0", new CollabRoom.Participant(1, "Ada", "ada@x", "#c62828",
                CollabRoom.Role.EDITOR)));
        notebook.clear("c0", false);
        connection.onMessage("{\"type\":\"ping\"}");
        connection.onMessage("{\"type\":\"teleport\"}");

        String actual = Notebook.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(sent) + "\n";
        if (Boolean.getBoolean("kiln.golden.write") || !Files.exists(GOLDEN)) {
            Files.createDirectories(GOLDEN.getParent());
            Files.writeString(GOLDEN, actual);
        }
        assertThat(actual).isEqualTo(Files.readString(GOLDEN));
        for (var type : new String[] {"welcome", "structure", "cell", "outputs", "output", "stream", "replace", "run",
                "kernel", "rebuild", "focus", "pong", "error"}) {
            assertThat(sent.valueStream().map(m -> m.path("type").asString())).as("a %s message", type).contains(type);
        }
    }
}
