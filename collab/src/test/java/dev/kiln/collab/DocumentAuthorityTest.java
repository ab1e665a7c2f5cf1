package dev.kiln.collab;

import dev.kiln.collab.DocumentAuthority.PullResult;
import dev.kiln.collab.DocumentAuthority.PushResult;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DocumentAuthorityTest {

    private final Clock clock = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    private DocumentAuthority open(String text, DocumentAuthority.Limits limits) {
        return DocumentAuthority.open(new InMemoryDocumentStore(), limits, clock, text, "blob0");
    }

    private static Update insert(int length, int at, String text, String client) {
        return new Update(ChangeSet.replace(length, at, at, text), client);
    }

    @Test
    void acceptsAPushBasedOnTheCurrentVersionAndAnnouncesIt() {
        var authority = open("hello", DocumentAuthority.Limits.DEFAULT);
        var heard = new ArrayList<String>();
        authority.addListener((from, updates) -> heard.add(from + ":" + updates.size()));

        var result = authority.push(0, List.of(insert(5, 5, " world", "a"), insert(11, 0, ">", "a")));

        assertThat(result).isEqualTo(new PushResult.Accepted(2));
        assertThat(authority.text()).isEqualTo(">hello world");
        assertThat(heard).containsExactly("0:2");
        assertThat(authority.pull(1, "b")).isInstanceOfSatisfying(PullResult.Updates.class,
                u -> assertThat(u.updates()).extracting(Update::clientId).containsExactly("a"));
    }

    @Test
    void rebasesAPushBasedOnAnOlderVersionOverWhatWasAcceptedSince() {
        var authority = open("abc", DocumentAuthority.Limits.DEFAULT);
        authority.push(0, List.of(insert(3, 0, "x", "a")));

        // b typed "y" at the end of "abc" without having seen a's "x": it lands at the end of "xabc".
        assertThat(authority.push(0, List.of(insert(3, 3, "y", "b")))).isEqualTo(new PushResult.Accepted(2, true));
        assertThat(authority.text()).isEqualTo("xabcy");
        // Where both insert at the same place, what was accepted first stays first.
        assertThat(authority.push(1, List.of(insert(4, 4, "z", "c")))).isEqualTo(new PushResult.Accepted(3, true));
        assertThat(authority.text()).isEqualTo("xabcyz");
    }

    @Test
    void aPushSentAgainIsNotAppliedTwice() {
        var authority = open("abc", DocumentAuthority.Limits.DEFAULT);
        var mine = insert(3, 1, "m", "a");
        authority.push(0, List.of(mine));
        authority.push(1, List.of(insert(4, 4, "!", "b")));

        // The client did not hear back and sends its pending changes again, with one more.
        assertThat(authority.push(0, List.of(mine, insert(4, 4, "n", "a")))).isEqualTo(new PushResult.Accepted(3, true));
        assertThat(authority.text()).isEqualTo("ambc!n");
    }

    @Test
    void pushesOlderThanTheKeptUpdatesOrSentBeforeAResyncAreStale() {
        var authority = open("", new DocumentAuthority.Limits(100, 1000, 3, 100));
        for (int i = 0; i < 6; i++) {
            authority.push(i, List.of(insert(i, i, "x", "a")));
        }
        assertThat(authority.push(1, List.of(insert(1, 0, "y", "b")))).isInstanceOf(PushResult.Stale.class);

        assertThat(authority.push(4, List.of(insert(4, 0, "y", "c")))).isInstanceOf(PushResult.Accepted.class);
        authority.snapshot("c"); // c starts over from the whole text at version 7
        assertThat(authority.push(5, List.of(insert(5, 0, "late", "c")))).isEqualTo(new PushResult.Stale(5, 7));
        assertThat(authority.push(7, List.of(insert(7, 0, "fresh", "c")))).isEqualTo(new PushResult.Accepted(8));
        assertThat(authority.text()).isEqualTo("freshyxxxxxx");
    }

    @Test
    void refusesChangesThatDoNotFitOrAreTooLargeAndAppliesNothing() {
        var authority = open("abc", new DocumentAuthority.Limits(4, 10, 100, 100));

        assertThat(authority.push(0, List.of(insert(3, 0, "ok", "a"), insert(3, 0, "wrong length", "a"))))
                .isInstanceOfSatisfying(PushResult.Refused.class, r -> assertThat(r.reason()).contains("does not fit"));
        assertThat(authority.push(0, List.of(insert(3, 0, "12345", "a"))))
                .isInstanceOfSatisfying(PushResult.Refused.class, r -> assertThat(r.reason()).contains("limit is 4"));
        assertThat(authority.push(0, List.of(insert(3, 0, "1234", "a"), insert(7, 0, "1234", "a"))))
                .isInstanceOfSatisfying(PushResult.Refused.class, r -> assertThat(r.reason()).contains("grow to 11"));
        assertThat(authority.text()).isEqualTo("abc");
        assertThat(authority.version()).isZero();
    }

    @Test
    void aClientTooFarBehindGetsTheWholeTextAndItsAcceptedCount() {
        var authority = open("", new DocumentAuthority.Limits(100, 1000, 3, 100));
        for (int i = 0; i < 5; i++) {
            authority.push(i, List.of(insert(i, i, "x", i % 2 == 0 ? "a" : "b")));
        }
        assertThat(authority.pull(1, "a")).isEqualTo(new PullResult.Resync("xxxxx", 5, 3));
        assertThat(authority.pull(2, "a")).isInstanceOf(PullResult.Updates.class);
    }

    @Test
    void reopeningFromTheStoreRestoresTextVersionAndCounts() {
        var store = new InMemoryDocumentStore();
        var limits = new DocumentAuthority.Limits(100, 1000, 100, 2);
        var first = DocumentAuthority.open(store, limits, clock, "", "blob0");
        for (int i = 0; i < 5; i++) {
            first.push(i, List.of(insert(i, i, String.valueOf(i), "a")));
        }
        var again = DocumentAuthority.open(store, limits, clock, "ignored", "other");
        assertThat(again.text()).isEqualTo("01234");
        assertThat(again.version()).isEqualTo(5);
        assertThat(again.snapshot("a").yourAccepted()).isEqualTo(5);
    }

    @Test
    void cursorsFollowTheTextTheyAreOnAndIdleParticipantsTimeOut() {
        var now = new java.util.concurrent.atomic.AtomicReference<>(Instant.parse("2026-11-22T10:00:00Z"));
        var ticking = new Clock() {
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            public Instant instant() {
                return now.get();
            }
        };
        var authority = DocumentAuthority.open(new InMemoryDocumentStore(), DocumentAuthority.Limits.DEFAULT, ticking, "hello world", "b");
        authority.presence().join("c1", "Ada", "#e91e63", "editor");
        authority.presence().moveCursor("c1", 6, 11, 11);
        authority.push(0, List.of(insert(11, 0, ">> ", "c2")));

        var ada = authority.presence().list().get(0);
        assertThat(ada.userName()).isEqualTo("Ada");
        assertThat(authority.text().substring(ada.anchor(), ada.head())).isEqualTo("world");

        now.set(now.get().plus(Presence.TIMEOUT).plusSeconds(1));
        assertThat(authority.presence().expire()).isTrue();
        assertThat(authority.presence().list()).isEmpty();
    }
}
