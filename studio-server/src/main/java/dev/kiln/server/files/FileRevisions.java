package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.studio.Workspaces;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A counter per studio that moves whenever its files may have changed: a commit, a machine's report of a change,
 * something created or deleted on the machine, a machine starting or stopping. Open file trees poll it (once a
 * second, with the page's other polling) and reload only when it moved.
 */
@Component
class FileRevisions {
    private final Map<String, AtomicLong> revisions = new ConcurrentHashMap<>();

    FileRevisions(Workspaces workspaces, MachineChannel machines) {
        workspaces.onCommit(this::changed);
        machines.on(FromMachine.FsEvents.class, (studioId, m) -> changed(studioId));
        machines.on(FromMachine.Synced.class, (studioId, m) -> changed(studioId));
        machines.on(FromMachine.MachineLost.class, (studioId, m) -> changed(studioId));
    }

    void changed(String studioId) {
        revisions.computeIfAbsent(studioId, id -> new AtomicLong()).incrementAndGet();
    }

    long of(String studioId) {
        var revision = revisions.get(studioId);
        return revision == null ? 0 : revision.get();
    }
}
