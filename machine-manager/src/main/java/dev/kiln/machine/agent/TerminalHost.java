package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import com.pty4j.WinSize;

/**
 * Interactive shells on a real pseudo-terminal (pty4j), so full-screen programs (top, vim, a progress bar) behave as
 * they do over ssh. The server multiplexes one shell to every teammate watching it; the agent only knows ids.
 */
final class TerminalHost implements AutoCloseable {
    private final Outbox outbox;
    private final Path home;
    private final Map<String, PtyProcess> shells = new ConcurrentHashMap<>();

    TerminalHost(Outbox outbox, Path home) {
        this.outbox = outbox;
        this.home = home;
    }

    void open(String id, int cols, int rows) {
        if (shells.containsKey(id)) {
            resize(id, cols, rows);
            return;
        }
        var env = new HashMap<>(System.getenv());
        env.put("TERM", "xterm-256color");
        env.put("HOME", home.toString());
        Path workspace = home.resolve(WorkspaceSync.DIRECTORY);
        try {
            PtyProcess shell = new PtyProcessBuilder(new String[] {shell(), "-l"}).setEnvironment(env)
                    .setDirectory((Files.isDirectory(workspace) ? workspace : home).toString())
                    .setInitialColumns(Math.max(cols, 20)).setInitialRows(Math.max(rows, 5)).start();
            shells.put(id, shell);
            // A platform thread: pty4j reads through a native call (JNA), which would pin a virtual thread's carrier and
            // starve every other virtual thread (command output) on a one-core machine.
            Thread.ofPlatform().name("kiln-pty-" + id).daemon().start(() -> pump(id, shell));
        } catch (IOException e) {
            outbox.offer(new FromMachine.PtyExit(id, null, "cannot start a shell: " + e.getMessage()));
        }
    }

    void input(String id, String data) {
        PtyProcess shell = shells.get(id);
        if (shell == null) {
            return;
        }
        try {
            OutputStream in = shell.getOutputStream();
            in.write(data.getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            close(id);
        }
    }

    void resize(String id, int cols, int rows) {
        PtyProcess shell = shells.get(id);
        if (shell != null && cols > 0 && rows > 0) {
            shell.setWinSize(new WinSize(cols, rows));
        }
    }

    /** Ends the shell and everything started from it (background jobs and nohup included). */
    void close(String id) {
        PtyProcess shell = shells.remove(id);
        if (shell != null) {
            // pty4j's process has a pid but no ProcessHandle of its own.
            ProcessHandle.of(shell.pid()).ifPresent(ProcessTrees::killSession);
            shell.destroyForcibly();
        }
    }

    private void pump(String id, PtyProcess shell) {
        char[] buffer = new char[8192];
        try (Reader out = new InputStreamReader(shell.getInputStream(), StandardCharsets.UTF_8)) {
            int n;
            while ((n = out.read(buffer)) > 0) {
                outbox.offer(new FromMachine.PtyOutput(id, new String(buffer, 0, n)));
            }
        } catch (IOException ignored) {
            // the shell ended
        }
        shells.remove(id, shell);
        Integer code = null;
        try {
            code = shell.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        outbox.offer(new FromMachine.PtyExit(id, code, null));
    }

    private static String shell() {
        for (String candidate : new String[] {System.getenv("SHELL"), "/bin/bash", "/bin/sh"}) {
            if (candidate != null && Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        return "/bin/sh";
    }

    @Override
    public void close() {
        shells.keySet().forEach(this::close);
    }
}
