package dev.kiln.collab;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class FileDocumentStoreTest {

    @TempDir
    Path dir;

    private static Update insert(int length, int at, String text, String client) {
        return new Update(ChangeSet.replace(length, at, at, text), client);
    }

    private DocumentAuthority open(DocumentAuthority.Limits limits) {
        return DocumentAuthority.open(new FileDocumentStore(dir), limits, Clock.systemUTC(), "base", "blob-1");
    }

    @Test
    void everyAcceptedChangeIsThereAfterAReopenWithoutAClose() {
        var limits = new DocumentAuthority.Limits(100, 1000, 100, 3);
        var first = open(limits);
        for (int i = 0; i < 7; i++) {
            first.push(i, List.of(insert(4 + i, 4 + i, String.valueOf(i), i % 2 == 0 ? "a" : "b")));
        }
        // No close(): as if the process was killed right after the last acknowledgement.
        var reopened = open(limits);
        assertThat(reopened.text()).isEqualTo("base0123456");
        assertThat(reopened.version()).isEqualTo(7);
        assertThat(reopened.snapshot("a").yourAccepted()).isEqualTo(4);
        assertThat(reopened.writtenBackBlob()).isEqualTo("blob-1");
    }

    @Test
    void snapshotsCompactTheLogButKeepRecentHistoryForClientsCatchingUp() throws Exception {
        var limits = new DocumentAuthority.Limits(100, 1000, 100, 5);
        var authority = DocumentAuthority.open(new FileDocumentStore(dir, true, 5), limits, Clock.systemUTC(), "base", "b");
        for (int i = 0; i < 17; i++) {
            authority.push(i, List.of(insert(4 + i, 0, "x", "a")));
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("log-")).sorted())
                    .containsExactly("log-10.jsonl", "log-15.jsonl");
        }
        var reopened = DocumentAuthority.open(new FileDocumentStore(dir, true, 5), limits, Clock.systemUTC(), "", null);
        assertThat(reopened.text()).isEqualTo("x".repeat(17) + "base");
        // A client at version 12 (before the last snapshot at 15) catches up update by update after the restart.
        assertThat(reopened.pull(12, "c")).isInstanceOfSatisfying(DocumentAuthority.PullResult.Updates.class,
                u -> assertThat(u.updates()).hasSize(5));
        assertThat(reopened.pull(3, "c")).isInstanceOf(DocumentAuthority.PullResult.Resync.class);
    }

    @Test
    void aBatchTornByACrashWasNeverAcknowledgedAndIsDropped() throws Exception {
        var limits = new DocumentAuthority.Limits(100, 1000, 100, 1000);
        var authority = open(limits);
        authority.push(0, List.of(insert(4, 4, "!", "a")));
        try (Stream<Path> files = Files.list(dir)) {
            var log = files.filter(p -> p.getFileName().toString().startsWith("log-")).findFirst().orElseThrow();
            Files.writeString(log, "{\"from\":1,\"updates\":[{\"client\":\"a\",\"chan", StandardOpenOption.APPEND);
        }
        var reopened = open(limits);
        assertThat(reopened.text()).isEqualTo("base!");
        reopened.push(1, List.of(insert(5, 0, ">", "b")));
        assertThat(open(limits).text()).isEqualTo(">base!");
    }

    @Test
    void anyTextSurvivesTheLog() {
        var limits = DocumentAuthority.Limits.DEFAULT;
        var authority = open(limits);
        var nasty = "quote \" back\\slash\ttab\u0001ctl 😀 emoji\nnew line \u2028 é";
        authority.push(0, List.of(insert(4, 2, nasty, "we\"ird\\id"), insert(4 + nasty.length(), 0, "x", "b")));
        var reopened = open(limits);
        assertThat(reopened.text()).isEqualTo("x" + "ba" + nasty + "se");
        assertThat(reopened.snapshot("we\"ird\\id").yourAccepted()).isEqualTo(1);
    }

    @Test
    void anAuthorityClosedCleanlyReopensFromItsSnapshot() {
        var limits = DocumentAuthority.Limits.DEFAULT;
        var authority = open(limits);
        authority.push(0, List.of(insert(4, 0, "£€", "a")));
        authority.wroteBack(1, "blob-2");
        authority.close();
        var reopened = open(limits);
        assertThat(reopened.text()).isEqualTo("£€base");
        assertThat(reopened.writtenBackBlob()).isEqualTo("blob-2");
    }
}
