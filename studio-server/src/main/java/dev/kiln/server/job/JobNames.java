package dev.kiln.server.job;

import dev.kiln.api.studio.StudioException;

/** Jobs' names: the default one (the entry point's class and a short id) and the rules for names people give. */
final class JobNames {
    static final int MAX_LENGTH = 100;

    private JobNames() {}

    /** {@code example.SumRegression}, job {@code 3f9a2c41-...}: "SumRegression 3f9a2c". */
    static String byDefault(String entryPoint, String jobId) {
        String simple = entryPoint == null ? "job" : entryPoint.substring(entryPoint.lastIndexOf('.') + 1);
        return simple + " " + jobId.substring(0, Math.min(6, jobId.length()));
    }

    /** A name given by a person, trimmed; null when blank (the default then applies). */
    static String checked(String name) {
        if (name == null || name.isBlank()) {
            return null;
        }
        String trimmed = name.strip();
        if (trimmed.length() > MAX_LENGTH) {
            throw new StudioException(StudioException.Kind.INVALID, "A job's name is at most " + MAX_LENGTH
                    + " characters; this one has " + trimmed.length() + ".");
        }
        if (trimmed.codePoints().anyMatch(Character::isISOControl)) {
            throw new StudioException(StudioException.Kind.INVALID, "A job's name is one line of text, without tabs "
                    + "or line breaks.");
        }
        return trimmed;
    }
}
