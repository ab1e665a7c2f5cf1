package dev.kiln.machine.files;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;

import org.eclipse.jgit.ignore.IgnoreNode;

/**
 * Whether git ignores a path of the workspace: the {@code .gitignore} of every folder from the path's own up to the
 * workspace (the nearest rule wins, {@code !} re-includes), then {@code .git/info/exclude}; a path inside an ignored
 * folder is ignored. Ignored files stay on the machine and out of the studio's history. Each {@code .gitignore} is
 * parsed once and again only when it changes.
 */
public final class GitIgnores {
    private final Path root;
    private final Map<Path, Parsed> parsed = new HashMap<>();

    private record Parsed(FileTime modified, IgnoreNode node) {}

    public GitIgnores(Path workspace) {
        this.root = workspace;
    }

    /** {@code path} is relative to the workspace, '/'-separated. */
    public synchronized boolean isIgnored(String path, boolean directory) {
        if (path.isEmpty()) {
            return false;
        }
        String[] segments = path.split("/");
        if (segments[0].equals(".git")) {
            return true;
        }
        var prefix = new StringBuilder();
        for (int i = 0; i < segments.length; i++) {
            if (i > 0) {
                prefix.append('/');
            }
            prefix.append(segments[i]);
            boolean last = i == segments.length - 1;
            if (matches(prefix.toString(), last ? directory : true)) {
                return true;
            }
        }
        return false;
    }

    /** The rules for one entry, its parent folders not considered. */
    private boolean matches(String path, boolean directory) {
        int slash = path.lastIndexOf('/');
        String dir = slash < 0 ? "" : path.substring(0, slash);
        while (true) {
            IgnoreNode node = node(dir.isEmpty() ? root.resolve(".gitignore") : root.resolve(dir).resolve(".gitignore"));
            if (node != null) {
                String relative = dir.isEmpty() ? path : path.substring(dir.length() + 1);
                Boolean result = node.checkIgnored(relative, directory);
                if (result != null) {
                    return result;
                }
            }
            if (dir.isEmpty()) {
                break;
            }
            int up = dir.lastIndexOf('/');
            dir = up < 0 ? "" : dir.substring(0, up);
        }
        IgnoreNode exclude = node(root.resolve(".git/info/exclude"));
        Boolean excluded = exclude == null ? null : exclude.checkIgnored(path, directory);
        return Boolean.TRUE.equals(excluded);
    }

    private IgnoreNode node(Path file) {
        FileTime modified;
        try {
            modified = Files.getLastModifiedTime(file);
        } catch (IOException e) {
            parsed.remove(file);
            return null;
        }
        var known = parsed.get(file);
        if (known != null && known.modified.equals(modified)) {
            return known.node;
        }
        var node = new IgnoreNode();
        try (InputStream in = Files.newInputStream(file)) {
            node.parse(in);
        } catch (IOException e) {
            return null;
        }
        parsed.put(file, new Parsed(modified, node));
        return node;
    }
}
