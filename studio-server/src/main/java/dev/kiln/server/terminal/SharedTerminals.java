package dev.kiln.server.terminal;

import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.studio.StudioActivity;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Terminals shared by everyone in a studio, like a tmux session: one shell on the studio's machine, its output fanned
 * out to every browser watching, input taken from editors (viewers only watch). The last {@value #SCROLLBACK}
 * characters are kept, so someone joining later sees what happened. A shell lives on the machine: when the machine
 * stops or switches, the terminal says so and the next keystroke or resize opens a new shell on the new machine.
 */
@Component
public class SharedTerminals {
    static final int SCROLLBACK = 256 * 1024;
    private static final JsonMapper JSON = JsonMapper.shared();

    private final MachineChannel machines;
    private final StudioActivity activity;
    private final Map<String, Terminal> terminals = new ConcurrentHashMap<>();
    private final Set<String> listening = ConcurrentHashMap.newKeySet();

    SharedTerminals(MachineChannel machines, StudioActivity activity) {
        this.machines = machines;
        this.activity = activity;
    }

    private static final class Terminal {
        final String studioId;
        final String name;
        final Set<WebSocketSession> viewers = ConcurrentHashMap.newKeySet();
        final StringBuilder scrollback = new StringBuilder();
        boolean open;
        int cols = 80;
        int rows = 24;

        Terminal(String studioId, String name) {
            this.studioId = studioId;
            this.name = name;
        }
    }

    void join(String studioId, String name, WebSocketSession viewer) {
        listenTo(studioId);
        String replay;
        while (true) {
            var terminal = terminals.computeIfAbsent(key(studioId, name), k -> new Terminal(studioId, name));
            synchronized (terminal) {
                if (terminals.get(key(studioId, name)) != terminal) {
                    continue; // forgotten meanwhile (forgetIfUnused): take the new one
                }
                terminal.viewers.add(viewer);
                replay = terminal.scrollback.toString();
            }
            break;
        }
        if (!replay.isEmpty()) {
            send(viewer, Map.of("type", "output", "data", replay));
        }
        if (!machines.isReady(studioId)) {
            send(viewer, Map.of("type", "status", "text", "No machine is running. Start the studio's machine to use "
                    + "the terminal."));
        }
    }

    void leave(String studioId, String name, WebSocketSession viewer) {
        var terminal = terminals.get(key(studioId, name));
        if (terminal != null) {
            terminal.viewers.remove(viewer);
            forgetIfUnused(terminal);
        }
    }

    /**
     * A terminal nobody watches and whose shell has ended is forgotten, scrollback and all (up to 256 KB each, for
     * any name a socket asked for); one whose shell still runs stays, so whoever opens it next sees its output.
     */
    private void forgetIfUnused(Terminal terminal) {
        synchronized (terminal) {
            if (terminal.viewers.isEmpty() && !terminal.open) {
                terminals.remove(key(terminal.studioId, terminal.name), terminal);
            }
        }
    }

    int terminalCount() {
        return terminals.size();
    }

    /** Keystrokes from an editor: opens the shell first if the machine has none yet. */
    void input(String studioId, String name, String data) {
        var terminal = terminals.get(key(studioId, name));
        if (terminal == null) {
            return;
        }
        activity.touch(studioId);
        ensureOpen(terminal);
        machines.send(studioId, Map.of("type", "pty.input", "id", name, "data", data));
    }

    void resize(String studioId, String name, int cols, int rows) {
        var terminal = terminals.get(key(studioId, name));
        if (terminal == null || cols < 2 || rows < 2 || cols > 1000 || rows > 1000) {
            return;
        }
        boolean wasOpen;
        synchronized (terminal) {
            terminal.cols = cols;
            terminal.rows = rows;
            wasOpen = terminal.open;
        }
        if (wasOpen) {
            machines.send(studioId, Map.of("type", "pty.resize", "id", name, "cols", cols, "rows", rows));
        } else {
            ensureOpen(terminal);
        }
    }

    private void ensureOpen(Terminal terminal) {
        synchronized (terminal) {
            if (terminal.open) {
                return;
            }
            terminal.open = machines.send(terminal.studioId, Map.of("type", "pty.open", "id", terminal.name,
                    "cols", terminal.cols, "rows", terminal.rows));
        }
    }

    private void listenTo(String studioId) {
        if (listening.add(studioId)) {
            machines.listen(studioId, message -> onMachineMessage(studioId, message));
        }
    }

    private void onMachineMessage(String studioId, JsonNode message) {
        switch (message.path("type").asString()) {
            case "pty.output" -> output(terminals.get(key(studioId, message.path("id").asString())),
                    message.path("data").asString());
            case "pty.exit" -> closed(terminals.get(key(studioId, message.path("id").asString())),
                    "\r\n\u001b[2m[the shell ended" + (message.has("error") ? ": " + message.path("error").asString()
                            : "") + "; press a key for a new one]\u001b[0m\r\n");
            case "machine.lost" -> terminals.values().stream().filter(t -> t.studioId.equals(studioId))
                    .forEach(t -> closed(t, "\r\n\u001b[2m[the machine stopped; this shell ended]\u001b[0m\r\n"));
            case "synced" -> terminals.values().stream()
                    .filter(t -> t.studioId.equals(studioId) && !t.viewers.isEmpty()).forEach(t -> {
                        boolean wasOpen = t.open;
                        ensureOpen(t);
                        if (!wasOpen && t.open) {
                            t.viewers.forEach(v -> send(v, Map.of("type", "status", "text", "")));
                        }
                    });
            default -> { }
        }
    }

    private void closed(Terminal terminal, String notice) {
        if (terminal == null) {
            return;
        }
        boolean wasOpen;
        synchronized (terminal) {
            wasOpen = terminal.open;
            terminal.open = false;
        }
        if (wasOpen) {
            output(terminal, notice);
        }
        forgetIfUnused(terminal);
    }

    private void output(Terminal terminal, String data) {
        if (terminal == null) {
            return;
        }
        synchronized (terminal) {
            terminal.scrollback.append(data);
            if (terminal.scrollback.length() > SCROLLBACK) {
                terminal.scrollback.delete(0, terminal.scrollback.length() - SCROLLBACK);
            }
        }
        var message = Map.of("type", "output", "data", data);
        terminal.viewers.forEach(viewer -> send(viewer, message));
    }

    private static void send(WebSocketSession viewer, Map<String, ?> message) {
        try {
            viewer.sendMessage(new TextMessage(JSON.writeValueAsString(message)));
        } catch (IOException | IllegalStateException e) {
            // A viewer that went away or fell too far behind: it reconnects and replays the scrollback.
        }
    }

    private static String key(String studioId, String name) {
        return studioId + "/" + name;
    }
}
