package dev.kiln.machine.files;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The path rules of the machine's home, as strings and on a real disk with symbolic links. */
class HomePathsTest {
    @TempDir
    Path temp;

    @Test
    void pathsStayInsideTheHome() {
        assertThat(HomePaths.check("data/sums.csv")).isEqualTo("data/sums.csv");
        assertThat(HomePaths.check("~/data/")).isEqualTo("data");
        assertThat(HomePaths.check("")).isEmpty();
        assertRefused("../etc/passwd", "INVALID", ". or ..");
        assertRefused("data/../../x", "INVALID", ". or ..");
        assertRefused("/etc/passwd", "INVALID", "inside the machine's home");
        assertRefused("~root/x", "INVALID", "inside the machine's home");
        assertRefused("a//b", "INVALID", "empty folder names");
        assertRefused("a\\b", "INVALID", "not \\");
        assertRefused("a\u0000b", "INVALID", "control characters");
        assertRefused(".kiln/secrets/j1.json", "FORBIDDEN", "credentials");
        assertRefused("workspace/.git/config", "FORBIDDEN", ".git");
        assertRefused("workspace/.GIT", "FORBIDDEN", ".git");
        assertThat(HomePaths.check("data/.git/x")).as("only the workspace's own history is Kiln's").isEqualTo("data/.git/x");
    }

    @Test
    void symbolicLinksOutOfTheHomeAreRefusedAndInsideItFollowed() throws Exception {
        Path home = Files.createDirectories(temp.resolve("home"));
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "s");
        Files.createDirectories(home.resolve("data"));
        Files.writeString(home.resolve("data/x.csv"), "x");
        Files.createSymbolicLink(home.resolve("out"), outside);
        Files.createSymbolicLink(home.resolve("data-link"), home.resolve("data"));
        var paths = new HomePaths(home);
        assertThatThrownBy(() -> paths.resolve("out/secret")).isInstanceOf(FileRefusal.class)
                .hasMessageContaining("outside the machine's home");
        assertThatThrownBy(() -> paths.resolve("out/new-file")).isInstanceOf(FileRefusal.class);
        assertThat(paths.resolve("data-link/x.csv")).hasContent("x");
        assertThat(paths.resolveEntry("out")).as("the link itself may be deleted or renamed")
                .isEqualTo(paths.home().resolve("out"));
        assertThat(paths.resolve("data/new.csv")).isEqualTo(paths.home().resolve("data/new.csv"));
    }

    private static void assertRefused(String path, String kind, String message) {
        assertThatThrownBy(() -> HomePaths.check(path)).isInstanceOfSatisfying(FileRefusal.class,
                e -> assertThat(e.kind()).isEqualTo(kind)).hasMessageContaining(message);
    }
}
