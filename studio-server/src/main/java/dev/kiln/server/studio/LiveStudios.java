package dev.kiln.server.studio;

import java.util.List;

import dev.kiln.server.config.LogText;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

/** Every {@link StudioScoped} component: what the server holds live for a studio, and its release in one place. */
@Component
public class LiveStudios {
    private static final Logger log = LoggerFactory.getLogger(LiveStudios.class);

    // Looked up when used: the holders depend on studio services themselves.
    private final ObjectProvider<StudioScoped> holders;

    LiveStudios(ObjectProvider<StudioScoped> holders) {
        this.holders = holders;
    }

    /** The components (by class name) that hold something of {@code studioId} now. */
    public List<String> holding(String studioId) {
        return holders.orderedStream().filter(h -> h.liveStudios().contains(studioId))
                .map(h -> org.springframework.util.ClassUtils.getUserClass(h).getSimpleName()).sorted().toList();
    }

    /** Releases the studio in every component; one that fails does not keep the others from letting go. */
    public void release(String studioId) {
        holders.orderedStream().forEach(holder -> {
            try {
                holder.release(studioId);
            } catch (RuntimeException e) {
                log.warn("Releasing studio {} in {} failed: {}", studioId,
                        org.springframework.util.ClassUtils.getUserClass(holder).getSimpleName(),
                        LogText.clean(String.valueOf(e.getMessage())));
            }
        });
    }
}
