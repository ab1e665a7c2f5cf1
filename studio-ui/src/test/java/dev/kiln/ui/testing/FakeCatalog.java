package dev.kiln.ui.testing;

import dev.kiln.api.studio.StudioCatalog;
import dev.kiln.api.studio.StudioException;
import dev.kiln.api.studio.StudioSummary;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Studios in memory, refusing what the server refuses (a blank or duplicate name, another user's studio). */
public final class FakeCatalog implements StudioCatalog {
    private final Map<String, StudioSummary> studios = new LinkedHashMap<>();
    private final Instant now;
    private int next = 1;

    public FakeCatalog(Instant now) {
        this.now = now;
    }

    /** A studio the signed-in user has with {@code role} ("owner", "editor", "viewer"). */
    public StudioSummary add(String name, String role) {
        var studio = new StudioSummary("s" + next++, name, role.equals("owner") ? "Ada Lovelace" : "Grace Hopper",
                now, now, role);
        studios.put(studio.id(), studio);
        return studio;
    }

    public List<StudioSummary> all() {
        return List.copyOf(studios.values());
    }

    @Override
    public List<StudioSummary> myStudios() {
        return new ArrayList<>(studios.values());
    }

    @Override
    public StudioSummary create(String name) {
        if (name == null || name.isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the studio a name.");
        }
        if (studios.values().stream().anyMatch(s -> s.isOwner() && s.name().equals(name))) {
            throw new StudioException(StudioException.Kind.INVALID, "You already have a studio named “" + name + "”.");
        }
        return add(name, "owner");
    }

    @Override
    public StudioSummary rename(String studioId, String newName) {
        var studio = open(studioId);
        if (newName.isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Give the studio a name.");
        }
        var renamed = new StudioSummary(studio.id(), newName, studio.ownerName(), studio.createdAt(), now, studio.role());
        studios.put(studioId, renamed);
        return renamed;
    }

    @Override
    public void delete(String studioId) {
        open(studioId);
        studios.remove(studioId);
    }

    @Override
    public StudioSummary open(String studioId) {
        var studio = studios.get(studioId);
        if (studio == null) {
            throw StudioException.studioNotFound();
        }
        return studio;
    }
}
