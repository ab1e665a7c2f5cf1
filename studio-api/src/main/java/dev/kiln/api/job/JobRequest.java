package dev.kiln.api.job;

import java.util.List;

/**
 * What to run: an entry point of the workspace (a TrainingModule or a class with main), its arguments
 * ({@code key=value} for a module, or {@code --trainer.max-epochs=3}), how many nodes and devices per node, and
 * optionally the job's name (null: the entry point and a short id).
 */
public record JobRequest(String entryPoint, List<String> args, int nodes, int devices, String name) {
    public JobRequest {
        args = args == null ? List.of() : List.copyOf(args);
    }

    public JobRequest(String entryPoint, List<String> args, int nodes, int devices) {
        this(entryPoint, args, nodes, devices, null);
    }

    /** The same run under another name (null: the default one). */
    public JobRequest named(String newName) {
        return new JobRequest(entryPoint, args, nodes, devices, newName);
    }
}
