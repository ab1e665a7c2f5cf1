package dev.kiln.ui.job;

import java.util.List;

/**
 * What to run: an entry point of the workspace (a TrainingModule or a class with main), its arguments
 * ({@code key=value} for a module, or {@code --trainer.max-epochs=3}), and how many nodes and devices per node.
 */
public record JobRequest(String entryPoint, List<String> args, int nodes, int devices) {
    public JobRequest {
        args = args == null ? List.of() : List.copyOf(args);
    }
}
