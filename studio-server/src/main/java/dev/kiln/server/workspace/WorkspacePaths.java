package dev.kiln.server.workspace;

import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioException.Kind;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The one gate every user-given path passes before it touches the disk. It refuses anything that could reach
 * outside the workspace or into its .git folder, with a message that says what to type instead.
 */
public final class WorkspacePaths {

    static final int MAX_NAME_BYTES = 255;
    static final int MAX_PATH_CHARS = 4096;

    private WorkspacePaths() {
    }

    /** Returns the canonical form of a workspace-relative path ('/'-separated, no trailing slash). */
    public static String check(String path) {
        if (path == null || path.isBlank()) {
            throw invalid("Give a file or folder name.");
        }
        if (path.length() > MAX_PATH_CHARS) {
            throw invalid("That path is longer than " + MAX_PATH_CHARS + " characters.");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw invalid("File names may not contain control characters (such as NUL, tab or newline).");
            }
        }
        if (path.indexOf('\\') >= 0) {
            throw invalid("Use / to separate folders, not \\.");
        }
        if (path.startsWith("/") || path.startsWith("~") || path.matches("^[A-Za-z]:.*")) {
            throw invalid("Absolute paths are not allowed: give a path inside the workspace, like src/Train.java.");
        }
        var trimmed = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        for (var segment : trimmed.split("/", -1)) {
            if (segment.isEmpty()) {
                throw invalid("A path may not contain empty folder names (//).");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw invalid("A path may not contain . or .. — files can only be written inside the workspace.");
            }
            if (segment.toLowerCase(Locale.ROOT).equals(".git")) {
                throw invalid("The .git folder holds the studio's history and can't be edited directly.");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw invalid("The name “" + segment.substring(0, 24) + "…” is longer than " + MAX_NAME_BYTES + " bytes.");
            }
        }
        return trimmed;
    }

    /**
     * Resolves a checked path under {@code root}, and refuses it if an existing part of it leads elsewhere
     * (a symbolic link pointing out of the workspace).
     */
    static Path resolve(Path root, String checkedPath) {
        var target = root.resolve(checkedPath).normalize();
        if (!target.startsWith(root)) {
            throw invalid("That path leads outside the workspace.");
        }
        try {
            var realRoot = root.toRealPath();
            var existing = target;
            while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                existing = existing.getParent();
            }
            if (existing != null && !existing.toRealPath().startsWith(realRoot)) {
                throw invalid("That path leads outside the workspace.");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    private static StudioException invalid(String message) {
        return new StudioException(Kind.INVALID, message);
    }
}
