package dev.kiln.server.studio;

import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.workspace.Workspace;
import jakarta.annotation.PreDestroy;
import org.eclipse.jgit.lib.PersonIdent;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Finds, creates and retires the studios' workspaces under the data directory; one open repository each. */
@Component
public class Workspaces {

    /** The template a new studio starts from; index.txt lists its files. */
    private static final String TEMPLATE = "studio-template/";

    private final KilnProperties properties;
    private final Clock clock;
    private final Map<String, Workspace> open = new ConcurrentHashMap<>();
    private final java.util.List<java.util.function.Consumer<String>> commitListeners =
            new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Automatic write-backs of a file within this long become one commit ({@code kiln.collab.commit-window}). */
    private final java.time.Duration commitWindow;

    Workspaces(KilnProperties properties, Clock clock,
               @org.springframework.beans.factory.annotation.Value("${kiln.collab.commit-window:5m}")
               java.time.Duration commitWindow) {
        this.properties = properties;
        this.clock = clock;
        this.commitWindow = commitWindow;
    }

    public Workspace get(String studioId) {
        return open.computeIfAbsent(studioId, id -> notifying(id, Workspace.open(dir(id), maxFileBytes())));
    }

    /** Tells {@code listener} the studio id after every commit to any workspace. */
    public void onCommit(java.util.function.Consumer<String> listener) {
        commitListeners.add(listener);
    }

    private Workspace notifying(String studioId, Workspace workspace) {
        workspace.foldWriteBacks(commitWindow, clock);
        workspace.afterCommit(() -> commitListeners.forEach(l -> l.accept(studioId)));
        return workspace;
    }

    Workspace createFromTemplate(String studioId, String studioName, PersonIdent author) {
        var workspace = notifying(studioId, Workspace.create(dir(studioId), maxFileBytes()));
        open.put(studioId, workspace);
        for (var file : templateFiles()) {
            var text = template(file).replace("{{studioName}}", studioName);
            workspace.save(file, text, "", author);
        }
        return workspace;
    }

    /** Moves the workspace to the trash folder rather than erasing it: a deleted studio's files can be recovered. */
    void trash(String studioId) {
        var workspace = open.remove(studioId);
        if (workspace != null) {
            workspace.close();
        }
        var source = dir(studioId);
        if (!Files.exists(source)) {
            return;
        }
        try {
            Files.createDirectories(properties.trashDir());
            Files.move(source, properties.trashDir().resolve(studioId + "-" + clock.millis()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long maxFileBytes() {
        return properties.maxFileSize().toBytes();
    }

    private Path dir(String studioId) {
        return properties.workspacesDir().resolve(studioId);
    }

    private static java.util.List<String> templateFiles() {
        return template("index.txt").lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static String template(String name) {
        try (InputStream in = Workspaces.class.getClassLoader().getResourceAsStream(TEMPLATE + name)) {
            if (in == null) {
                throw new IllegalStateException("Missing studio template file " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @PreDestroy
    void closeAll() {
        open.values().forEach(Workspace::close);
        open.clear();
    }
}
