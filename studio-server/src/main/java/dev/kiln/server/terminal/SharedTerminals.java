package dev.kiln.server.terminal;

import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.machine.OpenTerminals;
import dev.kiln.server.studio.StudioActivity;
import org.springframework.stereotype.Component;
import org.springframework.web.socket.TextMessage;
import org.springframework.web.socket.WebSocketSession;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
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
public class SharedTerminals implements OpenTerminals, dev.kiln.server.studio.StudioScoped {
    static final int SCROLLBACK = 256 * 1024;
    /** Terminals a studio may have at once: a name is a shell on the machine, so viewers cannot make up many. */
    static final int MAX_PER_STUDIO = 8;
    /** The attribute of a viewer's session that says whether it may type (and so open shells). */
    static final String CAN_TYPE = "kiln.terminal.canType";
    private static final JsonMapper JSON = JsonMapper.shared();

    private final MachineChannel machines;
    private final StudioActivity activity;
    private final Map<String, Terminal> terminals = new ConcurrentHashMap<>();

    private final dev.kiln.server.data.SecretMasks masks;

    SharedTerminals(MachineChannel machines, StudioActivity activity, dev.kiln.server.data.SecretMasks masks) {
        this.machines = machines;
        this.activity = activity;
        this.masks = masks;
        machines.on(FromMachine.PtyOutput.class, (studioId, m) -> output(terminals.get(key(studioId, m.id())), m.data()));
        machines.on(FromMachine.PtyExit.class, (studioId, m) -> closed(terminals.get(key(studioId, m.id())),
                "\r\n\u001b[2m[the shell ended" + (m.error() != null ? ": " + m.error() : "")
                        + "; press a key for a new one]\u001b[0m\r\n"));
        machines.on(FromMachine.MachineLost.class, (studioId, m) -> terminals.values().stream()
                .filter(t -> t.studioId.equals(studioId))
                .forEach(t -> closed(t, "\r\n\u001b[2m[the machine stopped; this shell ended]\u001b[0m\r\n")));
        machines.on(FromMachine.Synced.class, (studioId, m) -> reopen(studioId));
    }

    private static final class Terminal {
        final String studioId;
        final String name;
        final Set<WebSocketSession> viewers = ConcurrentHashMap.newKeySet();
        final StringBuilder scrollback = new StringBuilder();
        /** Who typed into the current shell: ending their access ends it. */
        final Set<Long> typedBy = ConcurrentHashMap.newKeySet();
        boolean open;
        int cols = 80;
        int rows = 24;

        Terminal(String studioId, String name) {
            this.studioId = studioId;
            this.name = name;
        }
    }

    /** The studio's terminals by name, in a stable order ("1" first). */
    @Override
    public java.util.List<String> names(String studioId) {
        return terminals.values().stream().filter(t -> t.studioId.equals(studioId)).map(t -> t.name).sorted(
                java.util.Comparator.comparing((String n) -> !n.equals("1")).thenComparing(n -> n)).toList();
    }

    /**
     * Whether one more browser may watch this terminal: an existing name, or a new one under the cap. A new one is
     * taken at once (at the handshake, before the socket opens), so handshakes that arrive together cannot all fit
     * under the cap.
     */
    synchronized boolean mayJoin(String studioId, String name) {
        if (terminals.containsKey(key(studioId, name))) {
            return true;
        }
        if (terminals.values().stream().filter(t -> t.studioId.equals(studioId)).count() >= MAX_PER_STUDIO) {
            return false;
        }
        terminals.putIfAbsent(key(studioId, name), new Terminal(studioId, name));
        return true;
    }

    void join(String studioId, String name, WebSocketSession viewer) {
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
    void input(String studioId, String name, long userId, String data) {
        var terminal = terminals.get(key(studioId, name));
        if (terminal == null) {
            return;
        }
        activity.touch(studioId);
        ensureOpen(terminal);
        terminal.typedBy.add(userId);
        machines.send(studioId, new ToMachine.PtyInput(name, data));
    }

    /** A browser's terminal size; from someone who may type, it opens the shell if there is none (viewers never do). */
    void resize(String studioId, String name, int cols, int rows, boolean mayOpen) {
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
            machines.send(studioId, new ToMachine.PtyResize(name, cols, rows));
        } else if (mayOpen) {
            ensureOpen(terminal);
        }
    }

    /**
     * Ends the shells these people typed into (their access ended: revoked, expired or lowered to viewer), with
     * everything started from them, and says so in the terminal.
     */
    void endShellsOf(String studioId, java.util.Collection<Long> userIds, String why) {
        for (Terminal terminal : terminals.values()) {
            if (terminal.studioId.equals(studioId) && terminal.typedBy.stream().anyMatch(userIds::contains)) {
                machines.send(studioId, new ToMachine.PtyClose(terminal.name));
                closed(terminal, "\r\n\u001b[2m[this shell was ended: " + why + "]\u001b[0m\r\n");
            }
        }
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return studios();
    }

    /** A deleted studio's shells end, its terminals close for whoever watches, and their scrollback goes. */
    @Override
    public void release(String studioId) {
        for (Terminal terminal : java.util.List.copyOf(terminals.values())) {
            if (terminal.studioId.equals(studioId)) {
                if (terminal.open) {
                    machines.send(studioId, new ToMachine.PtyClose(terminal.name));
                }
                closed(terminal, "\r\n\u001b[2m[the studio was deleted]\u001b[0m\r\n");
                for (WebSocketSession viewer : java.util.List.copyOf(terminal.viewers)) {
                    try {
                        viewer.close(new org.springframework.web.socket.CloseStatus(4403, "the studio was deleted"));
                    } catch (java.io.IOException | RuntimeException e) {
                        // closing anyway
                    }
                }
                terminals.remove(key(terminal.studioId, terminal.name), terminal);
            }
        }
    }

    /** The people who typed into the studio's open shells (for the access sweep). */
    Map<String, Set<Long>> typists(String studioId) {
        var typists = new java.util.HashMap<String, Set<Long>>();
        terminals.values().stream().filter(t -> t.studioId.equals(studioId) && t.open)
                .forEach(t -> typists.put(t.name, Set.copyOf(t.typedBy)));
        return typists;
    }

    /** Studios with terminals (for the access sweep). */
    Set<String> studios() {
        var studios = new java.util.HashSet<String>();
        terminals.values().forEach(t -> studios.add(t.studioId));
        return studios;
    }

    private void ensureOpen(Terminal terminal) {
        synchronized (terminal) {
            if (terminal.open) {
                return;
            }
            terminal.open = machines.send(terminal.studioId, new ToMachine.PtyOpen(terminal.name, terminal.cols,
                    terminal.rows));
        }
    }

    /** A new machine: the shells of terminals someone who may type is watching come back on it by themselves. */
    private void reopen(String studioId) {
        terminals.values().stream()
                .filter(t -> t.studioId.equals(studioId) && t.viewers.stream().anyMatch(SharedTerminals::canType))
                .forEach(t -> {
                    boolean wasOpen = t.open;
                    ensureOpen(t);
                    if (!wasOpen && t.open) {
                        t.viewers.forEach(v -> send(v, Map.of("type", "status", "text", "")));
                    }
                });
    }

    private void closed(Terminal terminal, String notice) {
        if (terminal == null) {
            return;
        }
        boolean wasOpen;
        synchronized (terminal) {
            wasOpen = terminal.open;
            terminal.open = false;
            terminal.typedBy.clear();
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
        // The studio's known secrets (its connections' keys, its jobs' temporary keys) never reach a screen or the
        // scrollback: masked here, also when a chunk boundary cuts one in two.
        masks.stream(terminal.studioId, key(terminal.studioId, terminal.name), data, masked -> publish(terminal, masked));
    }

    private void publish(Terminal terminal, String data) {
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

    static boolean canType(WebSocketSession viewer) {
        return Boolean.TRUE.equals(viewer.getAttributes().get(CAN_TYPE));
    }

    private static String key(String studioId, String name) {
        return studioId + "/" + name;
    }
}
