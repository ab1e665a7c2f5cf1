package dev.kiln.machine.kernel;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Python with the Jupyter packages the notebook tests use ({@code python3-nbformat}, {@code python3-ipykernel},
 * {@code python3-jupyter-client}; {@code ./kiln test} installs them). Always {@code /usr/bin/python3}: a Python of a
 * user's own (pyenv, conda) on PATH would not have them. Without them a test is skipped with the reason, except under
 * {@code CI=true}, where it fails.
 */
public final class DebianPython {
    public static final Path PYTHON = Path.of("/usr/bin/python3");

    private DebianPython() {}

    /** Skips (fails under CI) unless /usr/bin/python3 can import every module named. */
    public static void require(String... modules) {
        String problem = missing(modules);
        if (problem == null) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            throw new AssertionError(problem + " (./kiln test installs it with apt-get)");
        }
        Assumptions.abort(problem + "; install Debian's python3-nbformat, python3-ipykernel and python3-jupyter-client");
    }

    private static String missing(String... modules) {
        if (!Files.isExecutable(PYTHON)) {
            return PYTHON + " is not installed";
        }
        try {
            var result = run(List.of("-c", "import " + String.join(", ", modules)), 60);
            return result.code() == 0 ? null : PYTHON + " cannot import " + String.join(", ", modules) + ": "
                    + result.output().strip();
        } catch (IOException e) {
            return PYTHON + " cannot run: " + e.getMessage();
        }
    }

    public record Result(int code, String output) {}

    public static Result run(List<String> args, int timeoutSeconds) throws IOException {
        var command = new ArrayList<String>();
        command.add(PYTHON.toString());
        command.addAll(args);
        var process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return new Result(-1, "timed out after " + timeoutSeconds + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return new Result(process.exitValue(), new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
