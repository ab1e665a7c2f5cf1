package dev.kiln.server.workspace;

import dev.kiln.api.studio.StudioException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkspacePathsTest {

    @ParameterizedTest
    @ValueSource(strings = {"README.md", "src/main/java/Train.java", "data/with space/é.csv", "folder/"})
    void acceptsOrdinaryRelativePaths(String path) {
        assertThat(WorkspacePaths.check(path)).isEqualTo(path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
    }

    @ParameterizedTest
    @ValueSource(strings = {"../secret", "a/../../b", "a/./b", "/etc/passwd", "C:/Windows", "~/x", "a\\b", "a//b",
            ".git/config", "sub/.GIT/HEAD", "", "   ", "nul\u0000byte", "tab\tname", "line\nbreak", "del\u007f"})
    void refusesPathsThatCouldLeaveTheWorkspaceOrAreMalformed(String path) {
        assertThatThrownBy(() -> WorkspacePaths.check(path))
                .isInstanceOfSatisfying(StudioException.class, e -> {
                    assertThat(e.kind()).isEqualTo(StudioException.Kind.INVALID);
                    assertThat(e.getMessage()).isNotBlank();
                });
    }

    @Test
    void refusesNamesLongerThan255Bytes() {
        var ok = "a".repeat(255);
        var tooLong = "é".repeat(128); // 256 bytes in UTF-8
        assertThat(WorkspacePaths.check("dir/" + ok)).endsWith(ok);
        assertThatThrownBy(() -> WorkspacePaths.check("dir/" + tooLong)).hasMessageContaining("255 bytes");
    }

    @Test
    void refusesASymbolicLinkThatLeadsOutOfTheWorkspace(@TempDir Path temp) throws Exception {
        var root = Files.createDirectory(temp.resolve("ws")).toRealPath();
        var outside = Files.createDirectory(temp.resolve("outside"));
        Files.createSymbolicLink(root.resolve("escape"), outside);

        assertThatThrownBy(() -> WorkspacePaths.resolve(root, WorkspacePaths.check("escape/evil.txt")))
                .hasMessageContaining("outside the workspace");
        assertThat(WorkspacePaths.resolve(root, "fine/new.txt")).isEqualTo(root.resolve("fine/new.txt"));
    }
}
