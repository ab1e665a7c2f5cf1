package dev.kiln.training.runtime;

import java.util.Map;

import org.bytedeco.openblas.global.openblas_nolapack;
import org.bytedeco.pytorch.global.torch;

/**
 * Picks CPU thread counts. This libtorch build runs an OpenBLAS thread pool beside its own OpenMP pool; with both at
 * their defaults they fight over the cores and a small model trains 40x slower (measured: about 40 vs 1,600 steps/s
 * on 2 cores). So OpenBLAS gets one thread and libtorch's intra-op pool gets this process's share of the cores,
 * less one core for the JVM when the process has the machine to itself.
 */
public final class Threads {
    private Threads() {}

    public record Choice(int intraOp, int openblas, String source) {
        public String describe(int cores, int localProcesses) {
            return "kiln: " + intraOp + " intra-op thread" + (intraOp == 1 ? "" : "s") + ", OpenBLAS " + openblas
                    + " (" + cores + " cores, " + localProcesses + " training process" + (localProcesses == 1 ? "" : "es")
                    + " on this machine; " + source + ")";
        }
    }

    /** Pure policy: an explicit request wins, then KILN_NUM_THREADS / OMP_NUM_THREADS, then cores / processes. */
    public static Choice choose(int requested, Map<String, String> env, int cores, int localProcesses) {
        if (requested > 0) {
            return new Choice(requested, 1, "set by the Trainer's threads option");
        }
        for (String name : new String[] {"KILN_NUM_THREADS", "OMP_NUM_THREADS"}) {
            String value = env.get(name);
            if (value != null && !value.isBlank()) {
                try {
                    int threads = Integer.parseInt(value.strip());
                    if (threads > 0) {
                        return new Choice(threads, 1, "set by " + name);
                    }
                } catch (NumberFormatException ignored) {
                    // fall through to the default
                }
            }
        }
        // One core stays free for the JVM's own threads (JIT, GC, data workers): libtorch's OpenMP threads spin
        // while they wait, and sharing every core with them cost a third of the steps/s on 2 cores (measured).
        int share = Math.max(1, cores / Math.max(1, localProcesses) - (localProcesses == 1 ? 1 : 0));
        return new Choice(share, 1, "default; set KILN_NUM_THREADS to change");
    }

    public static Choice apply(Choice choice) {
        openblas_nolapack.blas_set_num_threads(choice.openblas());
        torch.set_num_threads(choice.intraOp());
        return choice;
    }
}
