package dev.kiln.server.notebook;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.CollabClient;
import dev.kiln.collab.CollabRoom;
import dev.kiln.collab.InMemoryDocumentStore;
import dev.kiln.collab.Update;
import dev.kiln.server.notebook.Notebook.CellType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import tools.jackson.databind.JsonNode;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two to five simulated browsers co-edit one notebook through the real server side ({@link LiveNotebook} and
 * {@link NotebookConnection}, speaking the wire protocol as JSON): they insert, delete, move and retype cells and
 * type in cells' sources at random, over a network that delays messages (each connection stays in order, as a
 * WebSocket does) and drops connections mid-flight (a reconnect says hello with the versions it has and sends its
 * unconfirmed ops again). When the network heals, every client must show exactly the server's cells, in its order,
 * with its types and every cell's exact source. Each run prints its seed; -Dkiln.seed=N replays one.
 */
class NotebookConvergenceTest {
    private static final String ALPHABET = "ab c\nxyz";

    @TestFactory
    Stream<DynamicTest> browsersAlwaysConverge() {
        var fixed = System.getProperty("kiln.seed");
        long base = fixed != null ? Long.parseLong(fixed) : System.nanoTime();
        int runs = fixed != null ? 1 : 60;
        return LongStream.range(0, runs).mapToObj(i -> base + i)
                .map(seed -> DynamicTest.dynamicTest("seed " + seed, () -> run(seed)));
    }

    private void run(long seed) {
        try {
            simulate(new Random(seed));
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError("Notebook convergence failed for seed " + seed + " (replay with -Dkiln.seed=" + seed + ")", e);
        }
    }

    /** One simulated browser: its structure client, its cells' collab clients, and its connection's two queues. */
    private static final class Peer {
        final String clientId;
        final StructureClient structure;
        final Map<String, CollabClient> sources = new LinkedHashMap<>();
        /** Cells whose document the server has sent this connection (only those may be pushed to). */
        final Map<String, Boolean> joined = new HashMap<>();
        final Map<String, Boolean> pushing = new HashMap<>();
        final ArrayDeque<String> toServer = new ArrayDeque<>();
        final ArrayDeque<String> toClient = new ArrayDeque<>();
        NotebookConnection connection;
        boolean welcomed;
        boolean online;

        Peer(String clientId) {
            this.clientId = clientId;
            this.structure = new StructureClient(clientId);
        }
    }

    private void simulate(Random random) {
        var initial = new Notebook(null, List.of(Notebook.Cell.code("c0", "x = 1\n"), Notebook.Cell.markdown("m0", "# Title")));
        var notebook = LiveNotebook.open("studio", "n.ipynb", initial, 0, Map.of(), Clock.systemUTC(),
                new LiveNotebook.Stores() {
                    public dev.kiln.collab.DocumentStore open(String cellId) {
                        return new InMemoryDocumentStore();
                    }

                    public void delete(String cellId) {}
                }, (nb, structure) -> {});
        var peers = new ArrayList<Peer>();
        for (int i = 0, n = 2 + random.nextInt(4); i < n; i++) {
            var peer = new Peer("client-" + i);
            peers.add(peer);
            connect(peer, notebook);
        }
        int cellCounter = 0;
        for (int tick = 0; tick < 700; tick++) {
            var peer = peers.get(random.nextInt(peers.size()));
            int action = random.nextInt(20);
            if (peer.online && peer.welcomed) {
                var shown = peer.structure.shown().visible();
                if (action < 2) {
                    String id = "n" + (cellCounter++) + peer.clientId.charAt(peer.clientId.length() - 1);
                    String after = shown.isEmpty() || random.nextInt(5) == 0 ? null : shown.get(random.nextInt(shown.size())).id();
                    String source = random.nextBoolean() ? "" : "s" + random.nextInt(100);
                    localOp(peer, new StructureOp.Insert(id, random.nextBoolean() ? CellType.CODE : CellType.MARKDOWN, after, source));
                    peer.sources.put(id, new CollabClient(peer.clientId, source, 0));
                } else if (action == 2 && !shown.isEmpty()) {
                    localOp(peer, new StructureOp.Delete(shown.get(random.nextInt(shown.size())).id()));
                } else if (action == 3 && !shown.isEmpty()) {
                    String after = random.nextInt(4) == 0 ? null : shown.get(random.nextInt(shown.size())).id();
                    localOp(peer, new StructureOp.Move(shown.get(random.nextInt(shown.size())).id(), after));
                } else if (action == 4 && !shown.isEmpty()) {
                    localOp(peer, new StructureOp.SetType(shown.get(random.nextInt(shown.size())).id(),
                            CellType.values()[random.nextInt(3)]));
                } else if (action < 11 && !shown.isEmpty()) {
                    var cell = shown.get(random.nextInt(shown.size())).id();
                    var source = peer.sources.get(cell);
                    if (source != null) {
                        source.edit(randomEdit(random, source.doc()));
                        push(peer, cell);
                    }
                } else if (action == 11 && random.nextInt(3) == 0) {
                    peer.online = false; // the connection drops; what was in flight is lost
                    peer.toServer.clear();
                    peer.toClient.clear();
                    peer.connection.onClose();
                }
            } else if (!peer.online && action < 6) {
                connect(peer, notebook);
            }
            // The network: a few messages move, each connection in its own order.
            for (int moves = random.nextInt(6); moves > 0; moves--) {
                var p = peers.get(random.nextInt(peers.size()));
                if (!p.online) {
                    continue;
                }
                if (random.nextBoolean() && !p.toServer.isEmpty()) {
                    p.connection.onMessage(p.toServer.poll());
                } else if (!p.toClient.isEmpty()) {
                    receive(p, p.toClient.poll());
                }
            }
        }
        // The network heals: everyone reconnects and every message is delivered.
        for (var peer : peers) {
            if (!peer.online) {
                connect(peer, notebook);
            }
        }
        for (int round = 0; round < 10_000; round++) {
            boolean moved = false;
            for (var p : peers) {
                while (!p.toServer.isEmpty()) {
                    p.connection.onMessage(p.toServer.poll());
                    moved = true;
                }
                while (!p.toClient.isEmpty()) {
                    receive(p, p.toClient.poll());
                    moved = true;
                }
            }
            if (!moved) {
                break;
            }
        }
        var server = notebook.cellList();
        for (var peer : peers) {
            assertThat(peer.structure.pending()).as(peer.clientId + " pending structure ops").isEmpty();
            assertThat(peer.structure.shown()).as(peer.clientId + " cells").isEqualTo(server);
            for (var cell : server.visible()) {
                var source = peer.sources.get(cell.id());
                assertThat(source).as(peer.clientId + " has cell " + cell.id()).isNotNull();
                assertThat(source.unconfirmedCount()).as(peer.clientId + " pending in " + cell.id()).isZero();
                assertThat(source.doc()).as(peer.clientId + " source of " + cell.id()).isEqualTo(notebook.source(cell.id()));
            }
        }
        assertThat(Nbformat.read(Nbformat.write(notebook.snapshot())).cells()).extracting(Notebook.Cell::id)
                .containsExactlyElementsOf(server.visible().stream().map(CellList.Entry::id).toList());
    }

    private static void connect(Peer peer, LiveNotebook notebook) {
        peer.online = true;
        peer.welcomed = false;
        peer.joined.clear();
        peer.pushing.clear();
        peer.toServer.clear();
        peer.toClient.clear();
        peer.connection = new NotebookConnection(notebook, new CollabRoom.Participant(1, peer.clientId, peer.clientId + "@x",
                "#000", CollabRoom.Role.EDITOR), true, new CollabRoom.Outbox() {
            @Override
            public void send(String json) {
                peer.toClient.add(json);
            }

            @Override
            public void close(int code, String reason) {}
        });
        var hello = Notebook.JSON.createObjectNode();
        hello.put("type", "hello");
        hello.put("clientId", peer.clientId);
        var versions = hello.putObject("cells");
        peer.sources.forEach((id, client) -> versions.put(id, client.version()));
        peer.toServer.add(hello.toString());
        for (var pending : peer.structure.pending()) {
            peer.toServer.add(structureMessage(pending));
        }
    }

    private static void localOp(Peer peer, StructureOp op) {
        peer.toServer.add(structureMessage(peer.structure.local(op)));
    }

    private static String structureMessage(StructureClient.Pending pending) {
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "structure");
        message.put("seq", pending.seq());
        message.set("op", pending.op().toJson());
        return message.toString();
    }

    private static void receive(Peer peer, String text) {
        JsonNode message = Notebook.JSON.readTree(text);
        switch (message.path("type").asString()) {
            case "welcome" -> {
                var list = new ArrayList<CellList.Entry>();
                for (var cell : message.path("cells")) {
                    list.add(new CellList.Entry(cell.get("id").asString(), CellType.of(cell.get("type").asString()),
                            cell.path("deleted").asBoolean(false)));
                }
                peer.structure.welcome(new CellList(list), message.get("version").asInt(), message.get("accepted").asLong());
                peer.welcomed = true;
            }
            case "structure" -> {
                boolean ok = peer.structure.receive(message.get("version").asInt(), StructureOp.fromJson(message.get("op")),
                        message.get("clientId").asString(), message.get("seq").asLong());
                assertThat(ok).as(peer.clientId + " got structure ops in order").isTrue();
            }
            case "cell" -> cellMessage(peer, message.get("cell").asString(), message.get("message"));
            case "error" -> throw new AssertionError(peer.clientId + " got " + text);
            default -> { }
        }
    }

    /** The collab protocol for one cell, as the browser's cell session speaks it. */
    private static void cellMessage(Peer peer, String cell, JsonNode message) {
        var source = peer.sources.get(cell);
        switch (message.path("type").asString()) {
            case "welcome" -> {
                if (message.has("updates")) {
                    if (source != null && message.get("from").asInt() == source.version()) {
                        source.receive(updates(message.get("updates")));
                    }
                } else if (source == null) {
                    peer.sources.put(cell, new CollabClient(peer.clientId, message.get("text").asString(),
                            message.get("version").asInt()));
                } else {
                    source.resync(message.get("text").asString(), message.get("version").asInt(), message.get("accepted").asInt());
                }
                peer.joined.put(cell, true);
                peer.pushing.put(cell, false);
                push(peer, cell);
            }
            case "updates" -> {
                if (source == null) {
                    return;
                }
                int from = message.get("from").asInt();
                if (from == source.version()) {
                    source.receive(updates(message.get("updates")));
                    push(peer, cell);
                } else if (from > source.version()) {
                    peer.toServer.add(cellEnvelope(cell, "{\"type\":\"pull\",\"version\":" + source.version() + "}"));
                }
            }
            case "resync" -> {
                if (source != null) {
                    source.resync(message.get("text").asString(), message.get("version").asInt(), message.get("accepted").asInt());
                    push(peer, cell);
                }
            }
            case "pushed" -> {
                peer.pushing.put(cell, false);
                push(peer, cell);
            }
            case "closed" -> {
                peer.sources.remove(cell);
                peer.joined.remove(cell);
            }
            case "error" -> throw new AssertionError(peer.clientId + " cell " + cell + ": " + message);
            default -> { }
        }
    }

    private static void push(Peer peer, String cell) {
        var source = peer.sources.get(cell);
        if (source == null || !Boolean.TRUE.equals(peer.joined.get(cell)) || Boolean.TRUE.equals(peer.pushing.get(cell))
                || source.unconfirmedCount() == 0 || !peer.online) {
            return;
        }
        peer.pushing.put(cell, true);
        var push = Notebook.JSON.createObjectNode();
        push.put("type", "push");
        push.put("version", source.version());
        var list = push.putArray("updates");
        for (var update : source.sendable()) {
            list.addObject().put("clientId", update.clientId()).set("changes", Notebook.JSON.valueToTree(update.changes().toJson()));
        }
        peer.toServer.add(cellEnvelope(cell, push.toString()));
    }

    private static String cellEnvelope(String cell, String inner) {
        return "{\"type\":\"cell\",\"cell\":\"" + cell + "\",\"message\":" + inner + "}";
    }

    private static List<Update> updates(JsonNode list) {
        var updates = new ArrayList<Update>();
        for (var node : list) {
            updates.add(new Update(ChangeSet.fromJson(Notebook.JSON.treeToValue(node.get("changes"), Object.class)),
                    node.get("clientId").asString()));
        }
        return updates;
    }

    private static ChangeSet randomEdit(Random random, String doc) {
        int from = random.nextInt(doc.length() + 1);
        int to = Math.min(doc.length(), from + (random.nextInt(3) == 0 ? random.nextInt(4) : 0));
        var insert = new StringBuilder();
        for (int i = random.nextInt(4); i > 0; i--) {
            insert.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
        }
        return ChangeSet.replace(doc.length(), from, to, insert.toString());
    }
}
