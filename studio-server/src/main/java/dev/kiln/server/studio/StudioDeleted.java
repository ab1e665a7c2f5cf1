package dev.kiln.server.studio;

/** Published once a studio is deleted (its workspace is in the trash), so its machine's files can follow. */
public record StudioDeleted(String studioId) {
}
