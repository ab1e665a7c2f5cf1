package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.data.DataConnections;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.studio.AccessRevoked;
import dev.kiln.server.studio.StudioActivity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.event.EventListener;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Service;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The kernels of open notebooks, on their studio's machine: one per notebook, started through the agent at the first
 * run (or when someone picks a kernel), fed one cell at a time from a queue the server keeps, so "run all" is the
 * server's list and everyone sees which cells wait. Everything a kernel sends is recorded in the {@link LiveNotebook}
 * as it arrives, with the studio's secrets masked, whether or not a browser is connected; a cell that fails stops
 * the cells queued after it, as in Jupyter. A kernel ends with its machine (a stop or a switch): the notebook says so
 * and keeps its outputs, and offers to re-run the cells that had run in it, in the order they first ran, once the
 * next machine is ready ({@code kiln.notebooks.rebuild-after-switch=auto} does it without asking).
 */
@Service
class NotebookKernels implements LiveNotebook.KernelControl, NotebookDocuments.Kernels {
    private static final Logger log = LoggerFactory.getLogger(NotebookKernels.class);
    /** Largest output a kernel may send in chunks (the agent caps at 16 MiB of JSON). */
    private static final int MAX_CHUNKED = 17 << 20;

    private final MachineChannel machines;
    private final NotebookDocuments documents;
    private final DataConnections data;
    private final StudioActivity activity;
    private final Clock clock;
    private final Rebuild rebuildAfterSwitch;
    private final Map<LiveNotebook, Session> sessions = new ConcurrentHashMap<>();
    private final Map<String, Session> byKernel = new ConcurrentHashMap<>();
    private final Map<String, List<KernelView.Spec>> specs = new ConcurrentHashMap<>();
    /** Completion and documentation requests waiting for their answer: request id to who asked. */
    private final Map<String, Asking> completions = new ConcurrentHashMap<>();

    /** What happens to the state of a kernel that ended with its machine, once the next machine is ready. */
    enum Rebuild {
        /** The notebook offers "re-run the cells that ran"; an editor clicks it. */
        OFFER,
        /** The cells run again by themselves, each for whoever ran it before. */
        AUTO;

        static Rebuild of(String setting) {
            try {
                return valueOf(setting.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("kiln.notebooks.rebuild-after-switch must be offer or auto, not \""
                        + setting + "\"");
            }
        }
    }

    private record Asking(LiveNotebook notebook, NotebookConnection connection, String request) {}

    /** One cell to run (or running): which cell, who asked, its request id on the machine. */
    private static final class Run {
        final String cellId;
        final CollabRoom.Participant by;
        RunState state;
        String request;

        Run(String cellId, CollabRoom.Participant by, RunState state) {
            this.cellId = cellId;
            this.by = by;
            this.state = state;
        }
    }

    /** A notebook's kernel: its id on the machine, its queue, and the output being reassembled from chunks. */
    private static final class Session {
        final LiveNotebook notebook;
        String kernelId;
        String spec;
        /** The generation of the machine the kernel was started on: only that machine's end ends it (-1: none yet). */
        long generation = -1;
        /** Started and not yet dead or stopped: the notebook stays open for it. Read without the lock. */
        volatile boolean alive;
        /** A cell runs or waits: write-backs wait for it. Read without the lock. */
        volatile boolean busy;
        boolean ready;
        Run current;
        final Deque<Run> queue = new ArrayDeque<>();
        final StringBuilder chunks = new StringBuilder();
        /** The cells that ran to the end in this kernel, in the order they first did, and who ran them: its state. */
        final Map<String, CollabRoom.Participant> ranHere = new LinkedHashMap<>();
        /** A re-run of a lost kernel's cells in progress: the cells still to end, and how many there were. */
        final Set<String> rebuilding = new LinkedHashSet<>();
        int rebuildTotal;

        Session(LiveNotebook notebook) {
            this.notebook = notebook;
        }

        void updateBusy() {
            busy = current != null || !queue.isEmpty();
        }
    }

    NotebookKernels(MachineChannel machines, NotebookDocuments documents, DataConnections data, StudioActivity activity,
                    Clock clock, @Value("${kiln.notebooks.rebuild-after-switch:offer}") String rebuildAfterSwitch) {
        this.rebuildAfterSwitch = Rebuild.of(rebuildAfterSwitch);
        this.machines = machines;
        this.documents = documents;
        this.data = data;
        this.activity = activity;
        this.clock = clock;
        documents.kernels(this, this);
        machines.on(FromMachine.KernelSpecs.class, this::specsArrived);
        machines.on(FromMachine.KernelStatus.class, this::status);
        machines.on(FromMachine.KernelOutput.class, this::output);
        machines.on(FromMachine.KernelExecuted.class, this::executed);
        machines.on(FromMachine.KernelCompletion.class, this::completed);
        machines.on(FromMachine.KernelInspection.class, this::inspected);
        machines.on(FromMachine.MachineLost.class, this::machineGone);
        machines.on(FromMachine.Synced.class, (studioId, synced) -> machineReady(studioId));
    }

    // ---- the documents' side ----

    @Override
    public boolean keepsOpen(LiveNotebook notebook) {
        var session = sessions.get(notebook);
        return session != null && session.alive;
    }

    @Override
    public boolean isRunning(LiveNotebook notebook) {
        var session = sessions.get(notebook);
        return session != null && session.busy;
    }

    @Override
    public void gone(LiveNotebook notebook, String why) {
        var session = sessions.remove(notebook);
        if (session == null) {
            return;
        }
        synchronized (session) {
            if (session.kernelId != null) {
                toKernel(session, new ToMachine.KernelShutdown(session.kernelId));
                byKernel.remove(session.kernelId);
            }
            session.alive = false;
            session.queue.clear();
            session.current = null;
            session.updateBusy();
        }
    }

    @Override
    public void closed(LiveNotebook notebook) {
        sessions.remove(notebook);
    }

    /**
     * A notebook was opened: it shows the kernels its machine offers, and, when it was closed (or the server
     * restarted) with a re-run offer standing, says so again. A saved offer is not run by itself, even with
     * {@code auto}: the machine it waited for may have been ready long since; an editor takes it.
     */
    @Override
    public void opened(LiveNotebook notebook) {
        var list = specs.get(notebook.studioId);
        if (list != null) {
            notebook.kernel(notebook.kernel().withSpecs(list));
        }
        askForSpecs(notebook.studioId);
        int offered = notebook.rebuildOffer().size();
        if (offered > 0) {
            notebook.kernel(notebook.kernel().with("none", (machines.isReady(notebook.studioId) ? ""
                    : "Start the studio's machine first. ") + "The kernel's state went with the last machine: re-run the "
                    + count(offered) + " that ran there, in order, to get it back."));
        }
    }

    private void askForSpecs(String studioId) {
        machines.send(studioId, new ToMachine.ListKernels(studioId));
    }

    private void specsArrived(String studioId, FromMachine.KernelSpecs list) {
        var found = list.specs().stream().map(s -> new KernelView.Spec(s.name(), s.displayName(), s.language())).toList();
        specs.put(studioId, found);
        for (var notebook : openNotebooks(studioId)) {
            notebook.kernel(notebook.kernel().withSpecs(found));
        }
    }

    private List<LiveNotebook> openNotebooks(String studioId) {
        return documents.openOf(studioId);
    }

    // ---- what people ask (through their notebook connection) ----

    @Override
    public void run(LiveNotebook notebook, List<String> cellIds, CollabRoom.Participant who) {
        var session = sessions.computeIfAbsent(notebook, Session::new);
        var runs = new LinkedHashMap<String, CollabRoom.Participant>();
        cellIds.forEach(id -> runs.putIfAbsent(id, who));
        synchronized (session) {
            enqueue(session, runs);
        }
    }

    /** Queues these cells, each run for its person, and starts the kernel when none runs. Under the session's lock. */
    private void enqueue(Session session, Map<String, CollabRoom.Participant> runs) {
        var notebook = session.notebook;
        activity.touch(notebook.studioId);
        {
            var waiting = new java.util.HashSet<String>();
            session.queue.forEach(r -> waiting.add(r.cellId));
            if (session.current != null) {
                waiting.add(session.current.cellId);
            }
            for (var entry : runs.entrySet()) {
                String cellId = entry.getKey();
                var who = entry.getValue();
                if (!notebook.isCode(cellId) || waiting.contains(cellId)) {
                    continue;
                }
                var run = new Run(cellId, who, RunState.queued(who.name(), clock.instant()));
                session.queue.add(run);
                waiting.add(cellId);
                notebook.runState(cellId, run.state);
            }
            session.updateBusy();
            if (session.queue.isEmpty()) {
                return;
            }
            if (!machines.isReady(notebook.studioId)) {
                abortQueue(session, "Not run: the studio's machine is not running. Start it with the machine button "
                        + "at the top, then run the cell again.");
                notebook.kernel(notebook.kernel().with("none", "Start the studio's machine to run cells"));
                return;
            }
            if (!session.alive) {
                startKernel(session, chooseSpec(notebook, null));
                return;
            }
            pump(session);
        }
    }

    @Override
    public void interrupt(LiveNotebook notebook, CollabRoom.Participant who) {
        var session = sessions.get(notebook);
        if (session == null) {
            return;
        }
        synchronized (session) {
            abortQueue(session, "Not run: " + who.name() + " interrupted the kernel");
            if (session.current != null && session.kernelId != null) {
                toKernel(session, new ToMachine.KernelInterrupt(session.kernelId));
            }
        }
    }

    @Override
    public void restart(LiveNotebook notebook, CollabRoom.Participant who) {
        var session = sessions.get(notebook);
        if (session == null || !session.alive) {
            return;
        }
        synchronized (session) {
            abortQueue(session, "Not run: " + who.name() + " restarted the kernel");
            if (session.current != null) {
                var run = session.current;
                run.state = run.state.ended(RunState.State.ABORTED, clock.instant(), null, "Stopped: " + who.name()
                        + " restarted the kernel");
                notebook.runState(run.cellId, run.state);
                session.current = null;
            }
            session.ready = false;
            session.ranHere.clear();
            session.updateBusy();
            notebook.rebuildOffer(Map.of()); // a fresh state was asked for: the lost one is not rebuilt on top
            notebook.kernel(notebook.kernel().with("restarting", "Restarted by " + who.name()));
            toKernel(session, new ToMachine.KernelRestart(session.kernelId));
        }
    }

    @Override
    public void select(LiveNotebook notebook, String spec, CollabRoom.Participant who) {
        var session = sessions.computeIfAbsent(notebook, Session::new);
        synchronized (session) {
            var known = specs.getOrDefault(notebook.studioId, List.of()).stream().filter(s -> s.name().equals(spec)).findFirst();
            if (known.isEmpty()) {
                notebook.kernel(notebook.kernel().with(notebook.kernel().state(), "This machine has no kernel \"" + spec
                        + "\""));
                return;
            }
            notebook.kernelspec(known.get());
            if (session.alive && spec.equals(session.spec)) {
                return;
            }
            if (session.spec != null && !spec.equals(session.spec)) {
                notebook.rebuildOffer(Map.of()); // another language: the cells that ran were not written for it
            }
            if (session.alive) {
                abortQueue(session, "Not run: " + who.name() + " switched the kernel");
                toKernel(session, new ToMachine.KernelShutdown(session.kernelId));
                byKernel.remove(session.kernelId);
                session.alive = false;
                session.current = null;
            }
            if (machines.isReady(notebook.studioId)) {
                startKernel(session, known.get());
            } else {
                notebook.kernel(new KernelView("none", known.get().name(), known.get().displayName(),
                        known.get().language(), "Start the studio's machine to run cells", notebook.kernel().specs()));
            }
        }
    }

    @Override
    public void complete(LiveNotebook notebook, NotebookConnection asking, String request, String code, int cursor) {
        var session = sessions.get(notebook);
        if (session == null || !session.alive || session.kernelId == null) {
            return;
        }
        String id = UUID.randomUUID().toString();
        completions.put(id, new Asking(notebook, asking, request));
        toKernel(session, new ToMachine.KernelComplete(session.kernelId, id, code, cursor));
    }

    @Override
    public void inspect(LiveNotebook notebook, NotebookConnection asking, String request, String code, int cursor) {
        var session = sessions.get(notebook);
        if (session == null || !session.alive || session.kernelId == null) {
            // Documentation comes from the kernel's own analysis (what is imported and defined so far): say so.
            notebook.sendTo(asking, documentation(request, false, "No kernel is running: run a cell (or pick a kernel) "
                    + "to see documentation."));
            return;
        }
        String id = UUID.randomUUID().toString();
        completions.put(id, new Asking(notebook, asking, request));
        if (!toKernel(session, new ToMachine.KernelInspect(session.kernelId, id, code, cursor))) {
            completions.remove(id);
            notebook.sendTo(asking, documentation(request, false, "The studio's machine is not running."));
        }
    }

    @Override
    public void rebuild(LiveNotebook notebook, CollabRoom.Participant who, boolean dismiss) {
        if (dismiss || notebook.rebuildOffer().isEmpty()) {
            notebook.rebuildOffer(Map.of());
            return;
        }
        // A session may not exist yet: the offer can have been saved before the notebook closed.
        var session = sessions.computeIfAbsent(notebook, Session::new);
        synchronized (session) {
            var offer = notebook.rebuildOffer();
            if (offer.isEmpty()) {
                notebook.rebuildOffer(Map.of());
                return;
            }
            if (!machines.isReady(notebook.studioId)) {
                notebook.kernel(notebook.kernel().with(notebook.kernel().state(), "Start the studio's machine first; "
                        + "then re-run the cells that ran."));
                return;
            }
            var runs = new LinkedHashMap<String, CollabRoom.Participant>();
            offer.keySet().forEach(id -> runs.put(id, who));
            startRebuild(session, runs);
        }
    }

    /** Runs a lost kernel's cells again, in the order they first ran, and withdraws the offer. Under the lock. */
    private void startRebuild(Session session, Map<String, CollabRoom.Participant> runs) {
        var notebook = session.notebook;
        notebook.rebuildOffer(Map.of());
        runs.keySet().removeIf(id -> !notebook.isCode(id)); // deleted, or no longer code, since
        if (runs.isEmpty()) {
            return;
        }
        session.rebuilding.clear();
        session.rebuilding.addAll(runs.keySet());
        session.rebuildTotal = runs.size();
        enqueue(session, runs);
        if (!session.rebuilding.isEmpty()) {
            rebuildProgress(session, "Re-running the " + count(session.rebuildTotal) + " that ran on the last machine: "
                    + "0 of " + session.rebuildTotal + " done");
        }
    }

    /** A cell of a re-run ended: the kernel's line says how far the re-run is. Under the session's lock. */
    private void rebuildStep(Session session, String cellId, RunState.State how) {
        if (!session.rebuilding.remove(cellId)) {
            return;
        }
        int total = session.rebuildTotal;
        int done = total - session.rebuilding.size();
        if (how != RunState.State.DONE) {
            session.rebuilding.clear();
            rebuildProgress(session, "Re-running stopped at cell " + done + " of " + total + ": it did not finish "
                    + "(see its output); the cells after it were not run.");
        } else if (session.rebuilding.isEmpty()) {
            rebuildProgress(session, "State rebuilt: re-ran the " + count(total) + " that ran on the last machine.");
        } else {
            rebuildProgress(session, "Re-running the " + count(total) + " that ran on the last machine: " + done + " of "
                    + total + " done");
        }
    }

    private static void rebuildProgress(Session session, String detail) {
        var notebook = session.notebook;
        notebook.kernel(notebook.kernel().with(notebook.kernel().state(), detail));
    }

    private static String count(int cells) {
        return cells == 1 ? "cell" : cells + " cells";
    }

    // ---- the machine's side ----

    /** A machine is ready (started, or switched to): kernels lost with the last one offer their cells again. */
    private void machineReady(String studioId) {
        askForSpecs(studioId);
        for (var notebook : openNotebooks(studioId)) {
            var offer = notebook.rebuildOffer();
            if (offer.isEmpty()) {
                continue;
            }
            var session = sessions.computeIfAbsent(notebook, Session::new);
            synchronized (session) {
                if (session.alive) {
                    continue;
                }
                if (rebuildAfterSwitch == Rebuild.AUTO) {
                    startRebuild(session, new LinkedHashMap<>(offer));
                } else {
                    notebook.kernel(notebook.kernel().with("none", "The new machine is ready. The kernel's state went "
                            + "with the last machine: re-run the " + count(offer.size()) + " that ran there, in "
                            + "order, to get it back."));
                }
            }
        }
    }

    private KernelView.Spec chooseSpec(LiveNotebook notebook, String wanted) {
        var offered = specs.getOrDefault(notebook.studioId, List.of());
        String name = wanted != null ? wanted : notebook.kernelspecName();
        for (var spec : offered) {
            if (spec.name().equals(name)) {
                return spec;
            }
        }
        // The notebook names a kernel this machine lacks (or none): Kiln's Java kernel, which every machine has.
        return new KernelView.Spec("java", "Java (JShell)", "java");
    }

    private void startKernel(Session session, KernelView.Spec spec) {
        var notebook = session.notebook;
        session.kernelId = UUID.randomUUID().toString();
        session.spec = spec.name();
        session.alive = true;
        session.ready = false;
        session.ranHere.clear();
        byKernel.put(session.kernelId, session);
        notebook.kernelspec(spec);
        notebook.kernel(new KernelView("starting", spec.name(), spec.displayName(), spec.language(),
                "Starting " + spec.displayName(), notebook.kernel().specs()));
        // The data connections the owner gave jobs, as a job receives them (short-lived keys, masked in outputs).
        JsonNode connections;
        try {
            var forJob = data.forJob(notebook.studioId);
            connections = Notebook.JSON.valueToTree(forJob.document());
        } catch (RuntimeException e) {
            log.warn("Notebook kernel of studio {} starts without data connections", notebook.studioId, e);
            connections = null;
        }
        var generation = machines.sendSaying(notebook.studioId, new ToMachine.KernelStart(session.kernelId, spec.name(),
                connections));
        if (generation.isEmpty()) {
            died(session, "The studio's machine went away before the kernel could start");
        } else {
            session.generation = generation.getAsLong();
        }
    }

    private void status(String studioId, FromMachine.KernelStatus status) {
        var session = byKernel.get(status.kernel());
        if (session == null) {
            return;
        }
        synchronized (session) {
            var notebook = session.notebook;
            var view = new KernelView(status.state(), status.spec(), status.displayName(), status.language(),
                    status.detail() == null ? null : mask(studioId, status.detail()), notebook.kernel().specs());
            switch (status.state()) {
                case "idle", "busy" -> {
                    if (!session.ready) {
                        session.ready = true;
                        notebook.kernel(view);
                        pump(session);
                        return;
                    }
                    // Busy/idle flips are shown; the detail of the start (a compile note) stays until the next change.
                    notebook.kernel(view.detail() == null ? view.with(status.state(), notebook.kernel().detail()) : view);
                }
                case "dead" -> died(session, view.detail() == null ? "The kernel died" : view.detail());
                case "stopped" -> {
                    session.alive = false;
                    byKernel.remove(status.kernel());
                    notebook.kernel(view);
                }
                default -> notebook.kernel(view);
            }
        }
    }

    private void died(Session session, String why) {
        var notebook = session.notebook;
        session.alive = false;
        session.ready = false;
        if (session.kernelId != null) {
            byKernel.remove(session.kernelId);
        }
        if (session.current != null) {
            var run = session.current;
            run.state = run.state.ended(RunState.State.LOST, clock.instant(), null, why);
            notebook.runState(run.cellId, run.state);
            session.current = null;
        }
        abortQueue(session, "Not run: " + why.substring(0, 1).toLowerCase() + why.substring(1));
        notebook.kernel(new KernelView("dead", session.spec, notebook.kernel().displayName(), notebook.kernel().language(),
                why, notebook.kernel().specs()));
        // Not under this session's lock: closing takes the documents' lock, which is taken before sessions' locks.
        java.util.concurrent.CompletableFuture.runAsync(() -> documents.closeIfUnused(notebook));
    }

    /**
     * A machine's connection ended: the kernels started on that machine are gone. During a switch the old machine ends
     * after the new one is up, and a kernel may already run on the new one; the old machine's end must not end it.
     */
    void machineGone(String studioId, FromMachine.MachineLost lost) {
        for (var session : List.copyOf(sessions.values())) {
            if (session.notebook.studioId.equals(studioId)) {
                synchronized (session) {
                    if (session.alive && session.generation == lost.generation()) {
                        var ran = new LinkedHashMap<>(session.ranHere);
                        if (session.current != null) {
                            ran.putIfAbsent(session.current.cellId, session.current.by); // it had begun to change state
                        }
                        died(session, ran.isEmpty() ? "The machine stopped, and the kernel with it; the outputs stay."
                                : "The machine stopped, and the kernel with it; the outputs stay. On the next machine, "
                                + "re-run the " + count(ran.size()) + " that ran, in order, to get the state back.");
                        session.notebook.rebuildOffer(ran);
                    }
                }
            }
        }
    }

    /** A message for a session's kernel goes to the machine it runs on, not to a newer one of a switch. */
    private boolean toKernel(Session session, ToMachine message) {
        return machines.send(session.notebook.studioId, session.generation, message);
    }

    /** Sends the next queued cell to the kernel when it is ready and nothing runs. Under the session's lock. */
    private void pump(Session session) {
        var notebook = session.notebook;
        while (session.current == null && session.ready && session.alive && !session.queue.isEmpty()) {
            var run = session.queue.poll();
            String source = notebook.source(run.cellId);
            if (source == null || !notebook.isCode(run.cellId)) {
                continue; // deleted or no longer code while it waited
            }
            run.request = UUID.randomUUID().toString();
            run.state = run.state.running(clock.instant(), null);
            session.current = run;
            notebook.runStarted(run.cellId, run.state);
            if (!toKernel(session, new ToMachine.KernelExecute(session.kernelId, run.request, source))) {
                died(session, "The studio's machine went away");
                return;
            }
        }
        session.updateBusy();
    }

    private void output(String studioId, FromMachine.KernelOutput message) {
        var session = byKernel.get(message.kernel());
        if (session == null) {
            return;
        }
        activity.touch(studioId); // a running cell keeps its machine from being stopped as idle
        JsonNode output;
        String cellId;
        synchronized (session) {
            if (message.chunk() != null) {
                if (session.chunks.length() + message.chunk().length() <= MAX_CHUNKED) {
                    session.chunks.append(message.chunk());
                }
                if (Boolean.TRUE.equals(message.more())) {
                    return;
                }
                try {
                    output = Notebook.JSON.readTree(session.chunks.toString());
                } catch (RuntimeException e) {
                    output = null;
                }
                session.chunks.setLength(0);
            } else {
                output = message.output();
            }
            var run = session.current;
            cellId = run != null && message.request() != null && message.request().equals(run.request) ? run.cellId : null;
            if (output == null || !output.isObject()) {
                return;
            }
            if (cellId == null && !"update".equals(message.kind())) {
                return; // late output of a cell that was stopped
            }
        }
        record(studioId, session.notebook, cellId, message.kind(), (ObjectNode) output, message.request());
    }

    /** Puts one output into the notebook, in nbformat's shape, the studio's secrets masked. */
    private void record(String studioId, LiveNotebook notebook, String cellId, String kind, ObjectNode content, String request) {
        switch (kind) {
            case "stream" -> {
                String name = content.path("name").asString("stdout").equals("stderr") ? "stderr" : "stdout";
                String text = content.path("text").asString("");
                data.masks().stream(studioId, "notebook/" + request + "/" + name, text,
                        masked -> notebook.stream(cellId, name, masked, null));
            }
            case "display", "update", "result" -> {
                var output = Notebook.JSON.createObjectNode();
                output.put("output_type", kind.equals("result") ? "execute_result" : "display_data");
                output.set("data", maskData(studioId, content.path("data")));
                output.set("metadata", content.path("metadata").isObject() ? content.get("metadata")
                        : Notebook.JSON.createObjectNode());
                if (kind.equals("result")) {
                    output.set("execution_count", content.path("execution_count"));
                }
                if (content.path("transient").isObject()) {
                    output.set("transient", content.get("transient"));
                }
                try {
                    notebook.output(cellId, (ObjectNode) Nbformat.output(output, "An output"), kind.equals("update"));
                } catch (NotebookFormatException e) {
                    log.debug("Dropped a kernel output that is not nbformat: {}", e.getMessage());
                }
            }
            case "error" -> {
                var output = Notebook.JSON.createObjectNode();
                output.put("output_type", "error");
                output.put("ename", mask(studioId, content.path("ename").asString("")));
                output.put("evalue", mask(studioId, content.path("evalue").asString("")));
                var traceback = output.putArray("traceback");
                content.path("traceback").forEach(line -> traceback.add(mask(studioId, line.asString(""))));
                notebook.output(cellId, output, false);
            }
            case "clear" -> notebook.clear(cellId, content.path("wait").asBoolean(false));
            default -> { }
        }
    }

    private ObjectNode maskData(String studioId, JsonNode data) {
        var masked = Notebook.JSON.createObjectNode();
        if (data.isObject()) {
            data.properties().forEach(e -> masked.set(e.getKey(), e.getValue().isString() && !e.getKey().startsWith("image/")
                    ? Notebook.JSON.getNodeFactory().stringNode(mask(studioId, e.getValue().asString())) : e.getValue()));
        }
        return masked;
    }

    private String mask(String studioId, String text) {
        return data.masks().mask(studioId, text);
    }

    private void executed(String studioId, FromMachine.KernelExecuted done) {
        var session = byKernel.get(done.kernel());
        if (session == null) {
            return;
        }
        synchronized (session) {
            var run = session.current;
            if (run == null || !done.request().equals(run.request)) {
                return;
            }
            session.current = null;
            var how = switch (done.status()) {
                case "ok" -> RunState.State.DONE;
                case "aborted" -> RunState.State.ABORTED;
                case "dead" -> RunState.State.LOST;
                default -> RunState.State.ERROR;
            };
            run.state = run.state.ended(how, clock.instant(), done.executionCount(), how == RunState.State.LOST
                    ? "The kernel was gone" : null);
            session.notebook.runState(run.cellId, run.state);
            if (how == RunState.State.DONE) {
                session.ranHere.putIfAbsent(run.cellId, run.by);
            }
            rebuildStep(session, run.cellId, how);
            if (how == RunState.State.ERROR) {
                abortQueue(session, "Not run: a cell before it failed");
            }
            pump(session);
        }
    }

    private void completed(String studioId, FromMachine.KernelCompletion completion) {
        var asking = completions.remove(completion.request());
        if (asking == null) {
            return;
        }
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "completion");
        message.put("request", asking.request());
        var matches = message.putArray("matches");
        completion.matches().forEach(matches::add);
        message.put("from", completion.cursorStart());
        message.put("to", completion.cursorEnd());
        asking.notebook().sendTo(asking.connection(), message);
    }

    private void inspected(String studioId, FromMachine.KernelInspection inspection) {
        var asking = completions.remove(inspection.request());
        if (asking == null) {
            return;
        }
        String text = mask(studioId, inspection.text()); // a docstring could quote a value the kernel holds
        asking.notebook().sendTo(asking.connection(), documentation(asking.request(), inspection.found() && !text.isBlank(),
                text));
    }

    private static ObjectNode documentation(String request, boolean found, String text) {
        var message = Notebook.JSON.createObjectNode();
        message.put("type", "documentation");
        message.put("request", request);
        message.put("found", found);
        message.put("text", text);
        return message;
    }

    /** Every queued cell is marked as not run, with why. Under the session's lock. */
    private void abortQueue(Session session, String why) {
        for (var run : session.queue) {
            run.state = run.state.ended(RunState.State.ABORTED, clock.instant(), null, why);
            session.notebook.runState(run.cellId, run.state);
        }
        session.queue.clear();
        session.updateBusy();
        if (!session.rebuilding.isEmpty()) {
            int done = session.rebuildTotal - session.rebuilding.size();
            session.rebuilding.clear();
            String reason = why.replaceFirst("^Not run: ", "");
            rebuildProgress(session, "Re-running stopped after " + done + " of " + session.rebuildTotal + " cells: "
                    + reason + ".");
        }
    }

    /** A share link was revoked: a cell its people started is interrupted, and what they queued is not run. */
    @EventListener
    void revoked(AccessRevoked event) {
        // An automatic re-run would run their cells for them later: it may not.
        for (var notebook : openNotebooks(event.studioId())) {
            var offer = new LinkedHashMap<>(notebook.rebuildOffer());
            if (offer.values().removeIf(by -> event.userIds().contains(by.userId()))) {
                notebook.rebuildOffer(offer);
            }
        }
        for (var session : List.copyOf(sessions.values())) {
            if (!session.notebook.studioId.equals(event.studioId())) {
                continue;
            }
            synchronized (session) {
                session.queue.removeIf(run -> {
                    if (event.userIds().contains(run.by.userId())) {
                        run.state = run.state.ended(RunState.State.ABORTED, clock.instant(), null,
                                "Not run: the access of " + run.by.name() + " was revoked");
                        session.notebook.runState(run.cellId, run.state);
                        return true;
                    }
                    return false;
                });
                session.updateBusy();
                if (session.current != null && event.userIds().contains(session.current.by.userId())) {
                    toKernel(session, new ToMachine.KernelInterrupt(session.kernelId));
                }
            }
        }
    }

    /** A running cell is activity: its machine is not stopped as idle while it works. */
    @Scheduled(fixedDelay = 2000)
    void keepBusyMachinesAwake() {
        sessions.values().stream().filter(s -> s.busy).forEach(s -> activity.touch(s.notebook.studioId));
    }

    /** For tests: the generation of the machine a notebook's kernel was started on, or -1. */
    long generationOf(LiveNotebook notebook) {
        var session = sessions.get(notebook);
        return session == null ? -1 : session.generation;
    }

    /** For tests: the kernel id of a notebook's kernel, or null. */
    String kernelOf(LiveNotebook notebook) {
        var session = sessions.get(notebook);
        return session == null ? null : session.kernelId;
    }

    List<String> queued(LiveNotebook notebook) {
        var session = sessions.get(notebook);
        if (session == null) {
            return List.of();
        }
        synchronized (session) {
            var ids = new ArrayList<String>();
            session.queue.forEach(r -> ids.add(r.cellId));
            return ids;
        }
    }
}
