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
        @JsonSubTypes.Type(value = ToMachine.JobLog.class, name = "job.log"),
        @JsonSubTypes.Type(value = ToMachine.Download.class, name = "download"),
        @JsonSubTypes.Type(value = ToMachine.PtyOpen.class, name = "pty.open"),
        @JsonSubTypes.Type(value = ToMachine.PtyInput.class, name = "pty.input"),
        @JsonSubTypes.Type(value = ToMachine.PtyResize.class, name = "pty.resize"),
        @JsonSubTypes.Type(value = ToMachine.PtyClose.class, name = "pty.close"),
        // Files of the machine's home (fs.*): see "Files" in PROTOCOL.md.
        @JsonSubTypes.Type(value = ToMachine.FsWatch.class, name = "fs.watch"),
        @JsonSubTypes.Type(value = ToMachine.FsApplied.class, name = "fs.applied"),
        @JsonSubTypes.Type(value = ToMachine.FsList.class, name = "fs.list"),
        @JsonSubTypes.Type(value = ToMachine.FsRead.class, name = "fs.read"),
        @JsonSubTypes.Type(value = ToMachine.FsSend.class, name = "fs.send"),
        @JsonSubTypes.Type(value = ToMachine.FsReceive.class, name = "fs.receive"),
        @JsonSubTypes.Type(value = ToMachine.FsDelete.class, name = "fs.delete"),
        @JsonSubTypes.Type(value = ToMachine.FsRename.class, name = "fs.rename"),
        @JsonSubTypes.Type(value = ToMachine.FsMkdir.class, name = "fs.mkdir"),

        // Notebook kernels (see PROTOCOL.md, "Notebook kernels").
        @JsonSubTypes.Type(value = ToMachine.ListKernels.class, name = "kernel.specs"),
        @JsonSubTypes.Type(value = ToMachine.KernelStart.class, name = "kernel.start"),
        @JsonSubTypes.Type(value = ToMachine.KernelExecute.class, name = "kernel.execute"),
        @JsonSubTypes.Type(value = ToMachine.KernelInterrupt.class, name = "kernel.interrupt"),
        @JsonSubTypes.Type(value = ToMachine.KernelRestart.class, name = "kernel.restart"),
        @JsonSubTypes.Type(value = ToMachine.KernelShutdown.class, name = "kernel.shutdown"),
        @JsonSubTypes.Type(value = ToMachine.KernelComplete.class, name = "kernel.complete"),
        @JsonSubTypes.Type(value = ToMachine.KernelInspect.class, name = "kernel.inspect"),
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

    /**
     * Send the complete output a job wrote on this machine ({@code ~/jobs/<job>/output.log}, then
     * {@code output-resumed.log} if it resumed here), as {@link FromMachine.JobLogPart}s for {@code requestId}.
     */
    record JobLog(String requestId, String job) implements ToMachine {}

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

    // ---- Files of the machine's home (fs.*). Paths are relative to the home ("workspace/README.md", "data/x.csv"),
    // '/'-separated; the agent refuses any that leaves the home or touches ~/.kiln or the workspace's .git.

    /** The messages about the machine's files, handled by the agent's file service as one group. */
    sealed interface Fs extends ToMachine {}

    /**
     * Watch {@code ~/workspace} and the home: changes to workspace files go to the server as {@code fs.changes}
     * (files up to {@code maxFileBytes} that git does not ignore), anything created or deleted as {@code fs.events}.
     * Sent after every {@code synced}; a second one only updates the limit.
     */
    record FsWatch(long maxFileBytes) implements Fs {}

    /**
     * The server took the machine's change of workspace file {@code path} whose content was {@code blob} (null: the
     * machine deleted it); the workspace's file is now {@code result} (null: absent). {@code error}: why it was not
     * taken (the file stays on the machine only).
     */
    record FsApplied(String path, String blob, String result, String error) implements Fs {}

    /** List a folder ({@code recursive}: everything under it, up to {@code max} entries); answered by fs.listing. */
    record FsList(String id, String path, Boolean recursive, Integer max) implements Fs {
        public FsList {
            recursive = Boolean.TRUE.equals(recursive);
            max = max == null ? 2000 : Math.max(1, Math.min(max, 20_000));
        }
    }

    /** Read at most {@code length} bytes (at most 512 KiB) of a file from {@code offset}; answered by fs.data. */
    record FsRead(String id, String path, long offset, int length) implements Fs {}

    /**
     * Send a file, or a folder as an archive ({@code format}: file, zip or tar.gz), with an HTTP PUT to {@code url}
     * (a one-time path on the server). {@code blob}: instead of a path, a git object of the workspace's repository on
     * the machine (the content of a change it reported). Answered by one fs.done.
     */
    record FsSend(String id, String path, String url, String format, String blob) implements Fs {}

    /**
     * Fetch {@code url} (a one-time path on the server) into the file {@code path}: {@code size} bytes exactly, in a
     * hidden part file renamed into place when complete. {@code overwrite}: replace an existing file. Answered by one
     * fs.done.
     */
    record FsReceive(String id, String path, String url, long size, Boolean overwrite) implements Fs {
        public FsReceive {
            overwrite = Boolean.TRUE.equals(overwrite);
        }
    }

    /** Delete a file or a folder with everything in it (a symbolic link itself, never what it points to). */
    record FsDelete(String id, String path) implements Fs {}

    /** Rename or move; the target must not exist. */
    record FsRename(String id, String from, String to) implements Fs {}

    /** Create a folder (and its parents). */
    record FsMkdir(String id, String path) implements Fs {}

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

    /**
     * The documentation of what is at {@code cursor} in {@code code} (JShell's source analysis for Java, the kernel's
     * {@code inspect_request} for a Jupyter kernel); answered by {@link FromMachine.KernelInspection}.
     */
    record KernelInspect(String kernel, String request, String code, int cursor) implements ToMachine {}
}
