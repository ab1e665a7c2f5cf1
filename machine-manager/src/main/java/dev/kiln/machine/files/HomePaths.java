package dev.kiln.machine.files;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The rules every path into a machine's home passes, on the server (before a request goes out) and again on the agent
 * (before the disk is touched). Paths are relative to the home and '/'-separated: "workspace/README.md",
 * "data/sums.csv", "" for the home itself. Refused: anything absolute, {@code ..}, control characters, {@code \},
 * names over 255 bytes, {@code ~/.kiln} (the agent's own files: job credentials), the workspace's {@code .git}
 * (the machine's copy of the history, which Kiln keeps in step), and, on the disk, anything whose real location
 * (symbolic links followed) is outside the home.
 */
public final class HomePaths {
    /** The versioned part of the home. */
    public static final String WORKSPACE = "workspace";
    /** The agent's own folder (job credentials while a job runs): never listed, read or written through the API. */
    public static final String AGENT_DIR = ".kiln";
    /** Names of the agent's temporary files (an upload's part file, a sync's), hidden from listings and watches. */
    public static final String TEMPORARY_PREFIX = ".kiln-";
    static final int MAX_NAME_BYTES = 255;
    static final int MAX_PATH_CHARS = 4096;

    private final Path home;

    public HomePaths(Path home) {
        try {
            this.home = Files.createDirectories(home).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("The machine's home " + home + " is not there", e);
        }
    }

    public Path home() {
        return home;
    }

    /** The canonical form of a home-relative path ("" for the home), or a refusal that says what to give instead. */
    public static String check(String path) {
        if (path == null || path.isEmpty() || path.equals("/") || path.equals("~") || path.equals("~/")) {
            return "";
        }
        if (path.length() > MAX_PATH_CHARS) {
            throw FileRefusal.invalid("That path is longer than " + MAX_PATH_CHARS + " characters.");
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw FileRefusal.invalid("File names may not contain control characters (such as NUL, tab or newline).");
            }
        }
        if (path.indexOf('\\') >= 0) {
            throw FileRefusal.invalid("Use / to separate folders, not \\.");
        }
        String p = path.startsWith("~/") ? path.substring(2) : path;
        if (p.startsWith("/") || p.startsWith("~") || p.matches("^[A-Za-z]:.*")) {
            throw FileRefusal.invalid("Give a path inside the machine's home, like data/train.csv, not an absolute one.");
        }
        String trimmed = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
        String[] segments = trimmed.split("/", -1);
        for (String segment : segments) {
            if (segment.isEmpty()) {
                throw FileRefusal.invalid("A path may not contain empty folder names (//).");
            }
            if (segment.equals(".") || segment.equals("..")) {
                throw FileRefusal.invalid("A path may not contain . or ..: files are reached only inside the machine's home.");
            }
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_NAME_BYTES) {
                throw FileRefusal.invalid("The name “" + segment.substring(0, 24) + "…” is longer than "
                        + MAX_NAME_BYTES + " bytes.");
            }
        }
        if (segments[0].equals(AGENT_DIR)) {
            throw FileRefusal.forbidden("~/.kiln holds the machine's own files (credentials of running jobs); it is not "
                    + "shown or changed here.");
        }
        if (segments[0].equals(WORKSPACE) && segments.length > 1 && segments[1].toLowerCase(Locale.ROOT).equals(".git")) {
            throw FileRefusal.forbidden("The workspace's .git folder is the machine's copy of the studio's history; "
                    + "Kiln keeps it in step, so it can't be changed here.");
        }
        return trimmed;
    }

    /** Whether a checked path is the workspace or inside it. */
    public static boolean inWorkspace(String checked) {
        return checked.equals(WORKSPACE) || checked.startsWith(WORKSPACE + "/");
    }

    /** The path relative to the workspace ("" for the workspace itself); only for paths inside it. */
    public static String workspaceRelative(String checked) {
        return checked.equals(WORKSPACE) ? "" : checked.substring(WORKSPACE.length() + 1);
    }

    /**
     * The file a path names, symbolic links followed: refused if its real location (or, for a path that does not
     * exist yet, the real location of its nearest existing folder) is outside the home.
     */
    public Path resolve(String path) {
        String checked = check(path);
        Path target = checked.isEmpty() ? home : home.resolve(checked);
        Path existing = target;
        while (existing != null && !Files.exists(existing, LinkOption.NOFOLLOW_LINKS)) {
            existing = existing.getParent();
        }
        try {
            if (existing != null && Files.exists(existing) && !existing.toRealPath().startsWith(home)) {
                throw outside();
            }
            if (existing != null && !Files.exists(existing)) {
                // a link that points nowhere: its target may still be created outside the home
                throw outside();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /**
     * The entry a path names without following a link at its end (delete or rename the link itself); its folder
     * must really be inside the home.
     */
    public Path resolveEntry(String path) {
        String checked = check(path);
        if (checked.isEmpty()) {
            return home;
        }
        Path target = home.resolve(checked);
        Path parent = resolve(checked.contains("/") ? checked.substring(0, checked.lastIndexOf('/')) : "");
        try {
            Path realParent = Files.exists(parent) ? parent.toRealPath() : parent;
            if (!realParent.startsWith(home)) {
                throw outside();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return target;
    }

    /** The home-relative path of a file under the home. */
    public String relative(Path file) {
        return home.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private static FileRefusal outside() {
        return FileRefusal.forbidden("That path leads outside the machine's home (through a symbolic link).");
    }
}
