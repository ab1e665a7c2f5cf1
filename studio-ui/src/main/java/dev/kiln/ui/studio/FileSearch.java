package dev.kiln.ui.studio;

import dev.kiln.api.files.FileContent;
import dev.kiln.api.files.StudioWorkspace;
import dev.kiln.api.studio.StudioException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Search across the workspace's files: every line that contains the text (case-insensitive), with its file, line and
 * column, for results that open at the line. Reads the files as the editor would (text files under the size limit);
 * stops at {@link #MAX_RESULTS} results or {@link #MAX_BYTES} of text, and says so.
 */
final class FileSearch {
    static final int MAX_RESULTS = 500;
    static final long MAX_BYTES = 50L << 20;

    record Match(String path, int line, int column, String text) {}

    record Result(List<Match> matches, int filesSearched, boolean cut) {}

    private FileSearch() {}

    static Result search(StudioWorkspace workspace, String studioId, String query) {
        var matches = new ArrayList<Match>();
        String needle = query.toLowerCase(Locale.ROOT);
        int files = 0;
        long bytes = 0;
        if (needle.isBlank()) {
            return new Result(matches, 0, false);
        }
        for (var entry : workspace.tree(studioId)) {
            if (entry.directory() || entry.size() > workspace.maxFileBytes()) {
                continue;
            }
            if (bytes + entry.size() > MAX_BYTES || matches.size() >= MAX_RESULTS) {
                return new Result(matches, files, true);
            }
            FileContent content;
            try {
                content = workspace.read(studioId, entry.path());
            } catch (StudioException unreadable) {
                continue;
            }
            if (content.binary() || content.text() == null) {
                continue;
            }
            files++;
            bytes += entry.size();
            String[] lines = content.text().split("\n", -1);
            for (int i = 0; i < lines.length && matches.size() < MAX_RESULTS; i++) {
                int at = lines[i].toLowerCase(Locale.ROOT).indexOf(needle);
                if (at >= 0) {
                    String line = lines[i].strip();
                    matches.add(new Match(entry.path(), i + 1, at + 1, line.length() > 200
                            ? line.substring(0, 200) + "…" : line));
                }
            }
        }
        return new Result(matches, files, matches.size() >= MAX_RESULTS);
    }
}
