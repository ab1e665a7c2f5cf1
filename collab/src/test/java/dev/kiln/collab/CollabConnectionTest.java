package dev.kiln.collab;

import dev.kiln.collab.CollabRoom.Participant;
import dev.kiln.collab.CollabRoom.Role;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The protocol's rules (PROTOCOL.md), one connection at a time, without a network. */
class CollabConnectionTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** An outbox that remembers what was sent and whether it was closed. */
    static final class Recorder implements CollabRoom.Outbox {
        final List<JsonNode> sent = new ArrayList<>();
        int closedWith;

        @Override
        public synchronized void send(String json) {
            sent.add(JSON.readTree(json));
        }

        @Override
        public void close(int code, String reason) {
            closedWith = code;
        }

        synchronized JsonNode last(String type) {
            for (int i = sent.size() - 1; i >= 0; i--) {
                if (sent.get(i).path("type").asString().equals(type)) {
                    return sent.get(i);
                }
            }
            throw new AssertionError("no " + type + " in " + sent);
        }

        long count(String type) {
            return sent.stream().filter(m -> m.path("type").asString().equals(type)).count();
        }
    }

    CollabRoom room;

    @BeforeEach
    void room() {
        var authority = DocumentAuthority.open(new InMemoryDocumentStore(), new DocumentAuthority.Limits(10, 1000, 100, 100),
                Clock.systemUTC(), "hello", "b");
        room = new CollabRoom(authority, new CollabRoom.ConnectionLimits(50, 20));
    }

    private CollabConnection join(Recorder out, String clientId, Role role, long userId) {
        var connection = room.connect(new Participant(userId, "User " + userId, "u" + userId + "@x", "#123456", role), out);
        connection.onMessage("{\"type\":\"hello\",\"clientId\":\"" + clientId + "\"}");
        return connection;
    }

    private static String push(int version, String clientId, String changes) {
        return "{\"type\":\"push\",\"version\":" + version + ",\"updates\":[{\"clientId\":\"" + clientId + "\",\"changes\":" + changes + "}]}";
    }

    @Test
    void helloGetsTheTextAndPushesReachEveryone() {
        var ada = new Recorder();
        var alan = new Recorder();
        var adaConnection = join(ada, "ada-1", Role.EDITOR, 1);
        join(alan, "alan-1", Role.EDITOR, 2);

        assertThat(ada.last("welcome").path("text").asString()).isEqualTo("hello");
        assertThat(ada.last("welcome").path("role").asString()).isEqualTo("editor");

        adaConnection.onMessage(push(0, "ada-1", "[5,[0,\"!\"]]"));

        assertThat(room.authority().text()).isEqualTo("hello!");
        assertThat(ada.last("pushed").path("ok").asBoolean()).isTrue();
        for (var out : List.of(ada, alan)) {
            var updates = out.last("updates");
            assertThat(updates.path("from").asInt()).isZero();
            assertThat(updates.path("updates").get(0).path("clientId").asString()).isEqualTo("ada-1");
        }
        assertThat(alan.last("presence").path("participants")).hasSize(2);
    }

    @Test
    void aViewerCanReadButItsPushIsRefused() {
        var viewer = new Recorder();
        var connection = join(viewer, "v-1", Role.VIEWER, 3);
        connection.onMessage(push(0, "v-1", "[0,[0,\"x\"],5]"));

        assertThat(viewer.last("error").path("code").asString()).isEqualTo("read-only");
        assertThat(room.authority().text()).isEqualTo("hello");
        assertThat(viewer.closedWith).isZero();
    }

    @Test
    void badInputGetsAnErrorFrameAndTouchesNothing() {
        var bad = new Recorder();
        var good = new Recorder();
        var connection = room.connect(new Participant(4, "Mallory", "m@x", "#000000", Role.EDITOR), bad);
        join(good, "good-1", Role.EDITOR, 5);

        connection.onMessage("{\"type\":\"push\"}");
        assertThat(bad.last("error").path("code").asString()).isEqualTo("hello-first");
        connection.onMessage("{\"type\":\"hello\",\"clientId\":\"m-1\"}");
        for (var junk : List.of("not json", "[1,2]", "{\"no\":\"type\"}", "{\"type\":\"teleport\"}",
                "{\"type\":\"push\",\"version\":\"zero\",\"updates\":[]}",
                push(0, "m-1", "[\"bad\"]"), push(0, "m-1", "[-5]"), push(0, "someone-else", "[5,[0,\"x\"]]"),
                "{\"type\":\"cursor\",\"version\":0,\"anchor\":99,\"head\":0}")) {
            connection.onMessage(junk);
        }
        assertThat(bad.count("error")).isEqualTo(10);

        connection.onMessage(push(0, "m-1", "[99,[0,\"x\"]]"));
        assertThat(bad.last("pushed").path("reason").asString()).isEqualTo("refused");
        connection.onMessage(push(0, "m-1", "[5,[0,\"this is far too long\"]]"));
        assertThat(bad.last("pushed").path("message").asString()).contains("limit is 10");

        assertThat(room.authority().text()).isEqualTo("hello");
        assertThat(good.count("updates")).isZero();
        assertThat(bad.closedWith).isZero();
    }

    @Test
    void aFloodClosesThatConnectionOnly() {
        var flooder = new Recorder();
        var other = new Recorder();
        var connection = join(flooder, "f-1", Role.EDITOR, 6);
        var calm = join(other, "c-1", Role.EDITOR, 7);
        for (int i = 0; i < 100; i++) {
            connection.onMessage("{\"type\":\"ping\"}");
        }
        assertThat(flooder.closedWith).isEqualTo(CollabConnection.CLOSE_POLICY);
        assertThat(flooder.last("error").path("code").asString()).isEqualTo("flood");

        calm.onMessage(push(0, "c-1", "[0,[0,\">\"],5]"));
        assertThat(room.authority().text()).isEqualTo(">hello");
        assertThat(other.closedWith).isZero();
    }

    @Test
    void aReconnectingClientGetsWhatItMissedAndCursorsAreMapped() {
        var first = new Recorder();
        var writer = join(first, "w-1", Role.EDITOR, 8);
        writer.onMessage(push(0, "w-1", "[5,[0,\" world\"]]"));

        var back = new Recorder();
        var reader = room.connect(new Participant(9, "Back", "b@x", "#abcdef", Role.EDITOR), back);
        reader.onMessage("{\"type\":\"hello\",\"clientId\":\"r-1\",\"version\":0}");
        var welcome = back.last("welcome");
        assertThat(welcome.path("from").asInt()).isZero();
        assertThat(welcome.path("updates")).hasSize(1);
        assertThat(welcome.has("text")).isFalse();

        // A cursor sent against version 0 ("hel|lo") is mapped to the current text.
        reader.onMessage("{\"type\":\"cursor\",\"version\":0,\"anchor\":3,\"head\":3}");
        writer.onMessage(push(1, "w-1", "[[0,\">> \"],11]"));
        var me = room.authority().presence().list().stream().filter(p -> p.clientId().equals("r-1")).findFirst().orElseThrow();
        assertThat(me.anchor()).isEqualTo(6);
        assertThat(room.authority().text().substring(0, me.anchor())).isEqualTo(">> hel");
    }

    @Test
    void revokingAGrantEndsThatPersonsConnectionsAtOnce() {
        var teammate = new Recorder();
        var owner = new Recorder();
        join(teammate, "t-1", Role.EDITOR, 10);
        join(owner, "o-1", Role.OWNER, 11);

        room.disconnect(p -> p.userId() == 10, "revoked", "The share link was revoked.");

        assertThat(teammate.last("revoked").path("message").asString()).contains("revoked");
        assertThat(teammate.closedWith).isEqualTo(CollabConnection.CLOSE_REVOKED);
        assertThat(owner.closedWith).isZero();
    }

    @Test
    void welcomeIsAlwaysTheFirstMessageEvenWhenOthersTypeMeanwhile() throws Exception {
        var typist = join(new Recorder(), "t-1", Role.EDITOR, 20);
        var late = new Recorder();
        var connection = room.connect(new Participant(21, "Late", "l@x", "#000000", Role.EDITOR), late);
        var authority = room.authority();
        Thread hello;
        synchronized (authority) {
            // The newcomer's hello waits for the authority while someone's push is accepted and broadcast.
            hello = new Thread(() -> connection.onMessage("{\"type\":\"hello\",\"clientId\":\"late-1\"}"));
            hello.start();
            while (hello.getState() != Thread.State.BLOCKED) {
                Thread.onSpinWait();
            }
            typist.onMessage(push(0, "t-1", "[5,[0,\"x\"]]"));
            room.flushPresence();
        }
        hello.join();
        assertThat(late.sent.get(0).path("type").asString()).isEqualTo("welcome");
        assertThat(late.sent.get(0).path("text").asString()).isEqualTo("hellox");
        assertThat(late.sent.get(1).path("type").asString()).isEqualTo("presence");
        assertThat(late.sent.get(1).path("full").asBoolean()).isTrue();
        assertThat(late.count("updates")).as("the update is in the welcome's text, not sent again").isZero();
    }

    @Test
    void presenceIsCoalescedAndCarriesOnlyWhatChanged() {
        var ada = new Recorder();
        var alan = new Recorder();
        var adaConnection = join(ada, "ada-1", Role.EDITOR, 1);
        var alanConnection = join(alan, "alan-1", Role.EDITOR, 2);
        room.flushPresence();
        int before = alan.sent.size();
        long presences = alan.count("presence");

        // Many cursor moves and edits in one interval: one message, with where each selection ended up.
        for (int i = 1; i <= 5; i++) {
            adaConnection.onMessage("{\"type\":\"cursor\",\"version\":0,\"anchor\":" + i + ",\"head\":" + i + "}");
        }
        alanConnection.onMessage(push(0, "alan-1", "[[0,\">>\"],5]"));
        assertThat(alan.count("presence")).as("nothing sent before the interval ends").isEqualTo(presences);
        room.flushPresence();

        var presence = alan.last("presence");
        assertThat(alan.sent.size() - before).isEqualTo(3); // updates, pushed (to alan), presence
        assertThat(presence.path("full").asBoolean()).isFalse();
        assertThat(presence.path("version").asInt()).isEqualTo(1);
        assertThat(presence.path("participants")).hasSize(1);
        var moved = presence.path("participants").get(0);
        assertThat(moved.path("clientId").asString()).isEqualTo("ada-1");
        assertThat(moved.path("head").asInt()).isEqualTo(7); // 5, mapped over alan's ">>"
        assertThat(moved.has("name")).as("a move carries no name").isFalse();

        // A selection that only moved because of an edit is not news: everyone maps it the same way.
        adaConnection.onMessage(push(1, "ada-1", "[[0,\"!\"],7]"));
        assertThat(room.flushPresence()).isZero();

        alanConnection.onClose();
        room.flushPresence();
        assertThat(ada.last("presence").path("left").get(0).asString()).isEqualTo("alan-1");
    }

    @Test
    void aPushBasedOnAnOlderVersionIsRebasedAndSaysSo() {
        var ada = new Recorder();
        var alan = new Recorder();
        var adaConnection = join(ada, "ada-1", Role.EDITOR, 1);
        var alanConnection = join(alan, "alan-1", Role.EDITOR, 2);
        adaConnection.onMessage(push(0, "ada-1", "[[0,\">\"],5]"));
        alanConnection.onMessage(push(0, "alan-1", "[5,[0,\"!\"]]"));

        assertThat(alan.last("pushed").path("ok").asBoolean()).isTrue();
        assertThat(alan.last("pushed").path("rebased").asBoolean()).isTrue();
        assertThat(room.authority().text()).isEqualTo(">hello!");
        // What alan's push became is what everyone gets: "!" after the 6 characters of the current text.
        assertThat(ada.last("updates").path("updates").get(0).path("changes").toString()).isEqualTo("[6,[0,\"!\"]]");
    }
}
