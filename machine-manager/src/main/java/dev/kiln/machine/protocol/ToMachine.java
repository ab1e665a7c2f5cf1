package dev.kiln.machine.protocol;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

import tools.jackson.databind.JsonNode;

/** What the server asks of a studio's machine. The wire names are in {@code PROTOCOL.md}; {@link MachineCodec} codes them. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = ToMachine.Sync.class, name = "sync"),
        @JsonSubTypes.Type(value = ToMachine.Stop.class, name = "stop"),
        @JsonSubTypes.Type(value = ToMachine.SaveWork.class, name = "save"),
        @JsonSubTypes.Type(value = ToMachine.Exec.class, name = "exec"),
        @JsonSubTypes.Type(value = ToMachine.JobStart.class, name = "job.start"),
        @JsonSubTypes.Type(value = ToMachine.Cancel.class, name = "cancel"),
        @JsonSubTypes.Type(value = ToMachine.Download.class, name = "download"),
        @JsonSubTypes.Type(value = ToMachine.PtyOpen.class, name = "pty.open"),
        @JsonSubTypes.Type(value = ToMachine.PtyInput.class, name = "pty.input"),
        @JsonSubTypes.Type(value = ToMachine.PtyResize.class, name = "pty.resize"),
        @JsonSubTypes.Type(value = ToMachine.PtyClose.class, name = "pty.close"),
        // Notebook kernels (see PROTOCOL.md, "Notebook kernels").
        @JsonSubTypes.Type(value = ToMachine.ListKernels.class, name = "kernel.specs"),
        @JsonSubTypes.Type(value = ToMachine.KernelStart.class, name = "kernel.start"),
        @JsonSubTypes.Type(value = ToMachine.KernelExecute.class, name = "kernel.execute"),
        @JsonSubTypes.Type(value = ToMachine.KernelInterrupt.class, name = "kernel.interrupt"),
        @JsonSubTypes.Type(value = ToMachine.KernelRestart.class, name = "kernel.restart"),
        @JsonSubTypes.Type(value = ToMachine.KernelShutdown.class, name = "kernel.shutdown"),
        @JsonSubTypes.Type(value = ToMachine.KernelComplete.class, name = "kernel.complete"),
})
public sealed interface ToMachine {

    /** Fetch the studio's latest commit into {@code ~/workspace}; answered by {@link FromMachine.Synced}. */
    record Sync() implements ToMachine {}

    /** Stop the machine (end commands, save, exit). */
    record Stop() implements ToMachine {}

    /**
     * The machine is about to stop or move: running training jobs checkpoint now (within {@code graceMillis}, 30 s
     * when absent). Answered by {@link FromMachine.WorkSaved}.
     */
    record SaveWork(Long graceMillis) implements ToMachine {
        public SaveWork {
            graceMillis = graceMillis == null ? 30_000L : graceMillis;
        }
    }

    /** Run a command in the machine's home ({@code cwd} relative to it); answered by started, output and exit. */
    record Exec(String id, List<String> command, String cwd, Map<String, String> env) implements ToMachine {
        public Exec {
            command = command == null ? List.of() : List.copyOf(command);
            env = env == null ? Map.of() : Map.copyOf(env);
        }
    }

    /**
     * Sync, compile and run an entry point of the workspace; {@code resume} when it moved here from another machine;
     * {@code connections}: the data connections the job receives (a JSON document written to a file only it reads).
     */
    record JobStart(String id, String entryPoint, List<String> args, Integer nodes, Integer devices,
                    Map<String, String> env, Boolean resume, JsonNode connections) implements ToMachine {
        public JobStart {
            args = args == null ? List.of() : List.copyOf(args);
            env = env == null ? Map.of() : Map.copyOf(env);
            nodes = nodes == null ? 1 : Math.max(1, nodes);
            devices = devices == null ? 1 : Math.max(1, devices);
            resume = Boolean.TRUE.equals(resume);
        }
    }

    /** Stop a command or job: SIGTERM, then SIGKILL after {@code graceMillis} (10 s when absent). */
    record Cancel(String id, Long graceMillis) implements ToMachine {
        public Cancel {
            graceMillis = graceMillis == null ? 10_000L : graceMillis;
        }
    }

    /** Fetch {@code url} (a presigned or one-time URL) into {@code target} under {@code ~/data}; size -1: unknown. */
    record Download(String id, String url, String target, Long size) implements ToMachine {
        public Download {
            size = size == null ? -1L : size;
        }
    }

    /** Open a shell on a pseudo-terminal of {@code cols} x {@code rows} (80 x 24 when absent); again: resize it. */
    record PtyOpen(String id, Integer cols, Integer rows) implements ToMachine {
        public PtyOpen {
            cols = cols == null ? 80 : cols;
            rows = rows == null ? 24 : rows;
        }
    }

    record PtyInput(String id, String data) implements ToMachine {}

    record PtyResize(String id, int cols, int rows) implements ToMachine {}

    /** End the shell and everything started from it. */
    record PtyClose(String id) implements ToMachine {}

    // ---- notebook kernels ----

    /** Which kernels the machine can start; answered by {@link FromMachine.KernelSpecs} with the same id. */
    record ListKernels(String id) implements ToMachine {}

    /**
     * Start kernel {@code kernel} from kernelspec {@code spec} ("java": Kiln's Java kernel); {@code connections}: the
     * studio's data connections for it, as a job gets them (written to a file only the kernel's process reads).
     */
    record KernelStart(String kernel, String spec, JsonNode connections) implements ToMachine {}

    /** Run {@code code} as one cell; its outputs and its end name {@code request}. */
    record KernelExecute(String kernel, String request, String code) implements ToMachine {}

    record KernelInterrupt(String kernel) implements ToMachine {}

    /** End the kernel's process and start a fresh one (same id, all state gone). */
    record KernelRestart(String kernel) implements ToMachine {}

    record KernelShutdown(String kernel) implements ToMachine {}

    /** Completions at {@code cursor} in {@code code}; answered by {@link FromMachine.KernelCompletion}. */
    record KernelComplete(String kernel, String request, String code, int cursor) implements ToMachine {}
}
