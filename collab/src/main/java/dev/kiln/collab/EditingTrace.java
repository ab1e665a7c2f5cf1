package dev.kiln.collab;

import tools.jackson.core.JsonToken;
import tools.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * A real editing trace (josephg/editing-traces format): patches {@code [pos, delCount, insertText]} applied in
 * order. Kiln's replay tests and benchmarks read them from {@code shared/data/editing-traces}.
 */
public record EditingTrace(String startContent, String endContent, List<Patch> patches) {

    public record Patch(int pos, int delete, String insert) {
    }

    public static EditingTrace read(Path gzipJson) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gzipJson), 1 << 16);
             var parser = new ObjectMapper().createParser(in)) {
            String start = "", end = null;
            var patches = new ArrayList<Patch>(300_000);
            parser.nextToken();
            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                var name = parser.currentName();
                parser.nextToken();
                switch (name) {
                    case "startContent" -> start = parser.getString();
                    case "endContent" -> end = parser.getString();
                    case "txns" -> {
                        while (parser.nextToken() == JsonToken.START_OBJECT) {
                            while (parser.nextToken() == JsonToken.PROPERTY_NAME) {
                                var field = parser.currentName();
                                parser.nextToken();
                                if (!field.equals("patches")) {
                                    parser.skipChildren();
                                    continue;
                                }
                                while (parser.nextToken() == JsonToken.START_ARRAY) {
                                    parser.nextToken();
                                    int pos = parser.getIntValue();
                                    parser.nextToken();
                                    int delete = parser.getIntValue();
                                    parser.nextToken();
                                    var insert = parser.getString();
                                    parser.nextToken();
                                    patches.add(new Patch(pos, delete, insert));
                                }
                            }
                        }
                    }
                    default -> parser.skipChildren();
                }
            }
            return new EditingTrace(start, end, patches);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Finds {@code shared/data/editing-traces/<name>}: from the {@code kiln.traces} property, else by looking for
     * a {@code shared} folder beside the checkout or any folder above the working directory.
     */
    public static Optional<Path> locate(String name) {
        var configured = System.getProperty("kiln.traces", System.getenv("KILN_TRACES"));
        if (configured != null && Files.exists(Path.of(configured, name))) {
            return Optional.of(Path.of(configured, name));
        }
        for (var dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            var candidate = dir.resolve("shared/data/editing-traces").resolve(name);
            if (Files.exists(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The patches applied to a StringBuilder: the floor any server that applies these edits can reach. */
    public String replayWithStringBuilder() {
        var doc = new StringBuilder(startContent);
        for (var patch : patches) {
            doc.replace(patch.pos(), patch.pos() + patch.delete(), patch.insert());
        }
        return doc.toString();
    }
}
