package dev.kiln.training.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Why a job ended badly, for whoever started it: written to the file {@code KILN_EXIT_REASON_FILE} names (Kiln's
 * agent sets it and sends the sentence with the job's exit), so nobody has to find it in the job's output.
 */
final class ExitReason {
    static final String ENV = "KILN_EXIT_REASON_FILE";

    private ExitReason() {}

    static void write(String reason) {
        String file = System.getenv(ENV);
        if (file == null || file.isBlank()) {
            return;
        }
        try {
            Files.writeString(Path.of(file), reason);
        } catch (IOException e) {
            // the output still says it
        }
    }
}
