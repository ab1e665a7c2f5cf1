package dev.kiln.machine.protocol;

import java.util.List;

import tools.jackson.databind.JsonNode;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** What a studio's machine tells the server. The wire names are in {@code PROTOCOL.md}; {@link MachineCodec} codes them. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = FromMachine.Hello.class, name = "hello"),
        @JsonSubTypes.Type(value = FromMachine.Health.class, name = "health"),
        @JsonSubTypes.Type(value = FromMachine.Synced.class, name = "synced"),
        @JsonSubTypes.Type(value = FromMachine.WorkSaved.class, name = "saved"),
        @JsonSubTypes.Type(value = FromMachine.Started.class, name = "started"),
        @JsonSubTypes.Type(value = FromMachine.Output.class, name = "output"),
        @JsonSubTypes.Type(value = FromMachine.Exit.class, name = "exit"),
        @JsonSubTypes.Type(value = FromMachine.JobPhase.class, name = "job.phase"),
        @JsonSubTypes.Type(value = FromMachine.JobDiagnostics.class, name = "job.diagnostics"),
        @JsonSubTypes.Type(value = FromMachine.JobLogPart.class, name = "job.log.part"),
        @JsonSubTypes.Type(value = FromMachine.DownloadProgress.class, name = "download.progress"),
        @JsonSubTypes.Type(value = FromMachine.DownloadDone.class, name = "download.done"),
        @JsonSubTypes.Type(value = FromMachine.DownloadFailed.class, name = "download.failed"),
        @JsonSubTypes.Type(value = FromMachine.PtyOutput.class, name = "pty.output"),
        @JsonSubTypes.Type(value = FromMachine.PtyExit.class, name = "pty.exit"),
        @JsonSubTypes.Type(value = FromMachine.MachineLost.class, name = "machine.lost"),
        // Files of the machine's home (fs.*): see "Files" in PROTOCOL.md.
        @JsonSubTypes.Type(value = FromMachine.FsChanges.class, name = "fs.changes"),
        @JsonSubTypes.Type(value = FromMachine.FsEvents.class, name = "fs.events"),
        @JsonSubTypes.Type(value = FromMachine.FsListing.class, name = "fs.listing"),
        @JsonSubTypes.Type(value = FromMachine.FsData.class, name = "fs.data"),
        @JsonSubTypes.Type(value = FromMachine.FsDone.class, name = "fs.done"),

        // Notebook kernels (see PROTOCOL.md, "Notebook kernels").
        @JsonSubTypes.Type(value = FromMachine.KernelSpecs.class, name = "kernel.specs"),
        @JsonSubTypes.Type(value = FromMachine.KernelStatus.class, name = "kernel.status"),
        @JsonSubTypes.Type(value = FromMachine.KernelOutput.class, name = "kernel.output"),
        @JsonSubTypes.Type(value = FromMachine.KernelExecuted.class, name = "kernel.executed"),
        @JsonSubTypes.Type(value = FromMachine.KernelCompletion.class, name = "kernel.completion"),
        @JsonSubTypes.Type(value = FromMachine.KernelInspection.class, name = "kernel.inspection"),
})
public sealed interface FromMachine {

    /**
     * First message of every connection. {@code jobs}: the jobs this agent knows (running, still preparing, or ended
     * since it started), so a server that restarted, or lost the connection for a while, follows them again and
     * hears of exits it missed; null from agents before this field (they say nothing about their jobs).
     */
    record Hello(String studio, String machineType, long generation, int cpus, long pid, List<JobReport> jobs)
            implements FromMachine {
        public Hello {
            jobs = jobs == null ? null : List.copyOf(jobs);
        }

        /** A hello that says nothing about jobs (an agent before the {@code jobs} field). */
        public Hello(String studio, String machineType, long generation, int cpus, long pid) {
            this(studio, machineType, generation, cpus, pid, null);
        }
    }

    /**
     * One job an agent knows: {@code state} {@code preparing} (syncing, compiling), {@code running}, or {@code ended}
     * with its {@code code} and {@code error} (as its {@link Exit} said), so an exit the server missed is not lost.
     */
    record JobReport(String id, String state, Integer code, String error, Boolean interrupted) {
        public static final String PREPARING = "preparing";
        public static final String RUNNING = "running";
        public static final String ENDED = "ended";
    }

    /** Every second: the machine's use of its cores, memory, disk and GPUs; messages the outbox had to drop. */
    record Health(String time, int cpus, double load, Double cpu, Long memoryTotal, Long memoryUsed, Long diskTotal,
                  Long diskUsed, List<Gpu> gpus, long dropped) implements FromMachine {
        public Health {
            gpus = gpus == null ? List.of() : List.copyOf(gpus);
        }
    }

    /** One GPU's reading (nvidia-smi): utilization 0..1, bytes, degrees Celsius, watts. */
    record Gpu(int index, String name, double utilization, long memoryUsed, long memoryTotal, double temperature,
               double power) {}

    /** The workspace is at {@code commit}; {@code kept}: a branch holding changes made on the machine; or an error. */
    record Synced(String commit, String kept, String error, long millis) implements FromMachine {}

    /**
     * Answer to {@link ToMachine.SaveWork}: the jobs that checkpointed (with the step they are at), and those that
     * could not in time (they checkpoint as they stop, if they can).
     */
    record WorkSaved(List<SavedJob> saved, List<String> notSaved) implements FromMachine {
        public WorkSaved {
            saved = saved == null ? List.of() : List.copyOf(saved);
            notSaved = notSaved == null ? List.of() : List.copyOf(notSaved);
        }
    }

    record SavedJob(String id, long step) {}

    record Started(String id, long pid) implements FromMachine {}

    /** A chunk of a command's output ({@code stream}: stdout or stderr), cut at character boundaries. */
    record Output(String id, String stream, String data) implements FromMachine {}

    /**
     * A command or job ended: its exit code, or why it never ran ({@code error}); {@code interrupted} when the
     * machine was going away (a switch or stop: a job resumes on the next machine); {@code droppedChars} of output
     * that the connection could not carry (the machine's log file has everything).
     */
    record Exit(String id, int code, String error, Long droppedChars, Boolean interrupted) implements FromMachine {
        public boolean wasInterrupted() {
            return Boolean.TRUE.equals(interrupted);
        }
    }

    /** A job's step before it runs: syncing, compiling, resuming, starting. */
    record JobPhase(String id, String phase, String detail) implements FromMachine {}

    /** Compiler messages for the editor. */
    record JobDiagnostics(String id, List<Diagnostic> items) implements FromMachine {
        public JobDiagnostics {
            items = items == null ? List.of() : List.copyOf(items);
        }
    }

    record Diagnostic(String severity, String path, long line, long column, String message) {}

    /**
     * Part {@code index} (from 0) of the output asked for by {@link ToMachine.JobLog}: text cut at character
     * boundaries; {@code last} on the final part; {@code error} instead of text when it cannot be read.
     */
    record JobLogPart(String requestId, int index, String data, boolean last, String error) implements FromMachine {}

    record DownloadProgress(String id, long bytes, long total) implements FromMachine {}

    record DownloadDone(String id, long bytes, long total) implements FromMachine {}

    record DownloadFailed(String id, String error) implements FromMachine {}

    record PtyOutput(String id, String data) implements FromMachine {}

    record PtyExit(String id, Integer code, String error) implements FromMachine {}

    /** Made by the server, never sent by a machine: the connection of generation {@code generation} ended. */
    record MachineLost(long generation) implements FromMachine {}

    // ---- Files of the machine's home (fs.*): see "Files" in PROTOCOL.md.

    /**
     * Workspace files changed on the machine (the terminal, a script, git, a job): each {@link FsChange} says what the
     * file was when the machine last agreed with the server ({@code base}) and what it is now.
     */
    record FsChanges(List<FsChange> changes) implements FromMachine {
        public FsChanges {
            changes = changes == null ? List.of() : List.copyOf(changes);
        }
    }

    /**
     * One workspace file ({@code path} relative to {@code ~/workspace}): git blob ids of its content before
     * ({@code base}; null: new) and now ({@code blob}; null: deleted), its size, and its bytes in base64
     * ({@code data}) when small enough to travel in the message; otherwise the server fetches {@code blob} with
     * fs.send.
     */
    record FsChange(String path, String base, String blob, long size, String data) {}

    /** Something was created, deleted or renamed in these folders (home-relative; "" is the home). */
    record FsEvents(List<String> dirs) implements FromMachine {
        public FsEvents {
            dirs = dirs == null ? List.of() : List.copyOf(dirs);
        }
    }

    /**
     * A folder's entries, or why not: {@code kind} is NOT_FOUND, INVALID, CONFLICT, TOO_LARGE or FORBIDDEN (the
     * server's refusal kinds), {@code error} the sentence for a person.
     */
    record FsListing(String id, String path, List<FsEntry> entries, boolean truncated, String error, String kind)
            implements FromMachine {
        public FsListing {
            entries = entries == null ? List.of() : List.copyOf(entries);
        }
    }

    /**
     * A file or folder: {@code path} home-relative, size in bytes, modified (epoch ms); {@code link}: a symbolic link;
     * {@code ignored}: inside the workspace and ignored by git (it stays on the machine).
     */
    record FsEntry(String path, boolean dir, long size, long modified, Boolean link, Boolean ignored) {}

    /** Bytes of a file ({@code data}, base64) from an fs.read, with the file's whole size and modification time. */
    record FsData(String id, long size, long modified, String data, String error, String kind)
            implements FromMachine {}

    /** An fs.send, fs.receive, fs.delete, fs.rename or fs.mkdir finished: {@code bytes} moved, or why it failed. */
    record FsDone(String id, Long bytes, String error, String kind) implements FromMachine {}

    // ---- notebook kernels ----

    /** The kernels this machine can start (answer to {@code kernel.specs} {@code id}). */
    record KernelSpecs(String id, List<KernelSpecInfo> specs) implements FromMachine {
        public KernelSpecs {
            specs = specs == null ? List.of() : List.copyOf(specs);
        }
    }

    record KernelSpecInfo(String name, String displayName, String language) {}

    /**
     * A kernel's state: {@code starting}, {@code idle}, {@code busy}, {@code restarting} or {@code dead} (with
     * {@code detail}: why, in words), and which kernelspec it is.
     */
    record KernelStatus(String kernel, String state, String detail, String spec, String displayName, String language)
            implements FromMachine {}

    /**
     * An output of a running cell, in nbformat's shape: {@code kind} {@code stream} ({@code name}, {@code text}),
     * {@code display}, {@code update} (a display_data or update_display_data: {@code data}, {@code metadata},
     * {@code transient}), {@code result} (execute_result), {@code error} ({@code ename}, {@code evalue},
     * {@code traceback}) or {@code clear} ({@code wait}). An output too large for one frame comes as {@code chunk}s
     * of its JSON text, {@code more} on all but the last.
     */
    record KernelOutput(String kernel, String request, String kind, JsonNode output, String chunk, Boolean more)
            implements FromMachine {}

    /** The cell ended: {@code status} ok, error, or aborted (it never ran); its execution count. */
    record KernelExecuted(String kernel, String request, String status, Integer executionCount) implements FromMachine {}

    record KernelCompletion(String kernel, String request, List<String> matches, int cursorStart, int cursorEnd)
            implements FromMachine {
        public KernelCompletion {
            matches = matches == null ? List.of() : List.copyOf(matches);
        }
    }

    /** The answer to a kernel.inspect: whether the kernel knows what is there, and its documentation as plain text. */
    record KernelInspection(String kernel, String request, boolean found, String text) implements FromMachine {
        public KernelInspection {
            text = text == null ? "" : text;
        }
    }
}
