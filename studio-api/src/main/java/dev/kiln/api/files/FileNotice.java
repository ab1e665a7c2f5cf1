package dev.kiln.api.files;

import java.time.Instant;

/**
 * Something about the studio's files that people should hear of when it happens, not only find in the history: a
 * file changed on the machine and in the studio at once that could not be merged, so both versions were kept.
 *
 * @param id   increases with each notice of a studio, so a panel can tell which it has shown
 * @param at   when it happened
 * @param text the sentence for a person
 */
public record FileNotice(long id, Instant at, String text) {}
