package dev.kiln.machine.agent;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a machine's token comes from: a file named by {@code KILN_AGENT_TOKEN_FILE} (a Kubernetes Secret mounted
 * read-only, readable by the machine's user only), else the first line of standard input (local machines: the
 * backend writes it there and closes the pipe). Never an environment variable, which every shell and job would
 * inherit and {@code /proc/<pid>/environ} would show.
 */
public final class AgentToken {
    public static final String FILE = "KILN_AGENT_TOKEN_FILE";

    private AgentToken() {}

    /** The token, or null when there is none. */
    public static String read(Map<String, String> env, InputStream stdin) {
        try {
            String file = env.get(FILE);
            String token;
            if (file != null && !file.isBlank()) {
                token = Files.readString(Path.of(file), StandardCharsets.US_ASCII);
            } else {
                token = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.US_ASCII)).readLine();
            }
            return token == null || token.isBlank() ? null : token.strip();
        } catch (IOException e) {
            return null;
        }
    }
}
