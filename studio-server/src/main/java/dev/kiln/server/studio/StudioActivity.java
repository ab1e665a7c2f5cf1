package dev.kiln.server.studio;

import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When someone last worked in a studio (typed in the editor, saved a file, changed its machine). Idle auto-stop
 * reads it; jobs and the terminal will report here too. Kept in memory: after a restart every studio counts as
 * active from the moment its machine was started again.
 */
@Component
public class StudioActivity implements StudioScoped {
    private final Clock clock;
    private final Map<String, Instant> last = new ConcurrentHashMap<>();

    StudioActivity(Clock clock) {
        this.clock = clock;
    }

    public void touch(String studioId) {
        last.put(studioId, clock.instant());
    }

    public Optional<Instant> last(String studioId) {
        return Optional.ofNullable(last.get(studioId));
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return java.util.Set.copyOf(last.keySet());
    }

    @Override
    public void release(String studioId) {
        last.remove(studioId);
    }
}
