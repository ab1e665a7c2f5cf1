package dev.kiln.server.workspace;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.PersonIdent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Write-backs folded into one commit per stretch of activity, naming the file and the people. */
class EditSessionsTest {
    private static final PersonIdent ADA = new PersonIdent("Ada Lovelace", "ada@example.org");
    private static final PersonIdent ALAN = new PersonIdent("Alan Turing", "alan@example.org");

    @TempDir
    Path temp;
    private Workspace workspace;
    private Instant now = Instant.parse("2026-12-01T10:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };

    @BeforeEach
    void create() {
        workspace = Workspace.create(temp.resolve("studio"), 1 << 20);
        workspace.foldWriteBacks(Duration.ofMinutes(5), clock);
    }

    @AfterEach
    void close() {
        workspace.close();
    }

    @Test
    void pausesWithinTheWindowAreOneCommitThatNamesTheFileAndEveryone() throws Exception {
        int before = commits();
        workspace.writeBack("notes.md", "one", List.of(ADA));
        now = now.plusSeconds(30);
        workspace.writeBack("notes.md", "one two", List.of(ALAN));
        now = now.plusSeconds(30);
        workspace.writeBack("notes.md", "one two three", List.of(ADA));
        assertThat(commits()).isEqualTo(before + 1);
        assertThat(workspace.history("notes.md")).hasSize(1);
        assertThat(workspace.history("notes.md").getFirst().message())
                .isEqualTo("Edit notes.md (Ada Lovelace, Alan Turing)");
        assertThat(fullMessage()).contains("Co-authored-by: Alan Turing <alan@example.org>");
        assertThat(workspace.read("notes.md").text()).isEqualTo("one two three");
        assertThat(workspace.history("notes.md").getFirst().authorName()).isEqualTo("Ada Lovelace");

        // Past the window: a new commit.
        now = now.plus(Duration.ofMinutes(5));
        workspace.writeBack("notes.md", "four", List.of(ALAN));
        assertThat(workspace.history("notes.md")).hasSize(2);
        assertThat(workspace.history("notes.md").getFirst().message()).isEqualTo("Edit notes.md (Alan Turing)");
    }

    @Test
    void ctrlSAnotherCommitOrAZeroWindowStartAnewCommit() throws Exception {
        workspace.writeBack("a.md", "1", List.of(ADA));
        workspace.endEditSession("a.md");
        workspace.writeBack("a.md", "2", List.of(ADA));
        assertThat(workspace.history("a.md")).hasSize(2);

        workspace.writeBack("b.md", "x", List.of(ADA)); // another file's commit is the newest now
        workspace.writeBack("a.md", "3", List.of(ADA));
        assertThat(workspace.history("a.md")).hasSize(3);

        workspace.foldWriteBacks(Duration.ZERO, clock);
        workspace.writeBack("a.md", "4", List.of(ADA));
        workspace.writeBack("a.md", "5", List.of(ADA));
        assertThat(workspace.history("a.md")).hasSize(5);
    }

    private int commits() throws Exception {
        try (var git = Git.open(workspace.root().toFile())) {
            if (git.getRepository().resolve("HEAD") == null) {
                return 0;
            }
            int n = 0;
            for (var ignored : git.log().call()) {
                n++;
            }
            return n;
        }
    }

    private String fullMessage() throws Exception {
        try (var git = Git.open(workspace.root().toFile())) {
            return git.log().call().iterator().next().getFullMessage();
        }
    }
}
