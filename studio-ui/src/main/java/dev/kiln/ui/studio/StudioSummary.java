package dev.kiln.ui.studio;

import java.time.Instant;

/** A studio as the "My studios" list shows it. */
public record StudioSummary(String id, String name, String ownerName, Instant createdAt, Instant updatedAt) {
}
