package dev.kiln.machine.kernel;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A kernel the machine can start: a Jupyter kernelspec ({@code kernel.json}: argv with {@code {connection_file}},
 * display name, language, environment, interrupt mode) or Kiln's built-in Java kernel. {@code interruptMode}:
 * {@code signal} (SIGINT to the process, Jupyter's default) or {@code message} (an interrupt_request on control).
 */
public record KernelSpec(String name, String displayName, String language, List<String> argv, Map<String, String> env,
                         String interruptMode, Path resourceDir) {
    public static final String JAVA = "java";

    public KernelSpec {
        argv = List.copyOf(argv);
        env = Map.copyOf(env);
        interruptMode = "message".equals(interruptMode) ? "message" : "signal";
    }

    public boolean interruptsByMessage() {
        return interruptMode.equals("message");
    }
}
