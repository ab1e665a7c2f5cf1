package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.api.files.FileNotice;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A counter per studio that moves whenever its files may have changed: a commit, a machine's report of a change,
 * something created or deleted on the machine, a machine starting or stopping. Open file trees poll it (once a
 * second, with the page's other polling) and reload only when it moved. Beside it, the studio's last few notices
 * (a conflict kept as two files), which the trees show as they come; memory only, the commits keep them for good.
 */
@Component
class FileRevisions implements dev.kiln.server.studio.StudioScoped {
    static final int KEPT_NOTICES = 5;

    private final Map<String, AtomicLong> revisions = new ConcurrentHashMap<>();
    private final Map<String, ArrayDeque<FileNotice>> notices = new ConcurrentHashMap<>();
    private final AtomicLong noticeIds = new AtomicLong();
    private final Clock clock = Clock.systemUTC();

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

    /** Tells the studio's open trees {@code text}, and moves the revision so they look. */
    void notice(String studioId, String text) {
        var kept = notices.computeIfAbsent(studioId, id -> new ArrayDeque<>());
        synchronized (kept) {
            kept.addLast(new FileNotice(noticeIds.incrementAndGet(), clock.instant(), text));
            while (kept.size() > KEPT_NOTICES) {
                kept.removeFirst();
            }
        }
        changed(studioId);
    }

    @Override
    public java.util.Set<String> liveStudios() {
        var studios = new java.util.HashSet<>(revisions.keySet());
        studios.addAll(notices.keySet());
        return studios;
    }

    @Override
    public void release(String studioId) {
        revisions.remove(studioId);
        notices.remove(studioId);
    }

    List<FileNotice> notices(String studioId) {
        var kept = notices.get(studioId);
        if (kept == null) {
            return List.of();
        }
        synchronized (kept) {
            return List.copyOf(kept);
        }
    }
}
