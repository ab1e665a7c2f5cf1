package dev.kiln.server.job;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.job.ObservedJob.Machine;
import dev.kiln.server.job.ObservedJob.Where;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.api.job.JobSummary;

/**
 * Jobs run by the agent of the studio's machine (every job on the local backend, single-node jobs on Kubernetes),
 * through the machine protocol: {@code job.start} and {@code cancel} out; phases, diagnostics, output and the exit
 * back. What the agent said is kept per job and is the observation; nothing is decided here.
 *
 * <p>Every connection of an agent begins with a hello that lists the jobs it knows (running, preparing, or ended with
 * their exit). So a server that restarted, or lost the connection for a while, learns which of its jobs still run
 * there (and follows them again), which ended meanwhile (and how), and which the machine does not know: a local
 * machine stops with the server, so after a restart its jobs are reported {@link Where#MISSING}.
 */
final class AgentJobs implements JobBackend {
    private static final long CANCEL_GRACE_MILLIS = 10_000;

    private final MachineChannel machines;
    private final Predicate<String> wantsMachine;
    private volatile Events events;
    private final Map<String, Tracked> jobs = new ConcurrentHashMap<>();
    /** Per studio: the hello of its connected machine (the newest), until that connection ends. */
    private final Map<String, FromMachine.Hello> hellos = new ConcurrentHashMap<>();

    /** What the agent has said about one job. */
    private static final class Tracked {
        final String studioId;
        volatile Where where;
        volatile ObservedJob.Exit exit;
        /** The generation of the machine it was started on or reported by; -1 when not known. */
        volatile long generation = -1;
        /** The generation of the machine that stopped it by going away (an interrupted exit); -1: none. */
        volatile long stoppedBy = -1;
        volatile boolean cancelSent;

        Tracked(String studioId, Where where) {
            this.studioId = studioId;
            this.where = where;
        }
    }

    /** {@code wantsMachine}: whether a studio should have a running machine (so one is coming when none is there). */
    AgentJobs(MachineChannel machines, Predicate<String> wantsMachine) {
        this.machines = machines;
        this.wantsMachine = wantsMachine;
        listenToMachines();
    }

    @Override
    public void listen(Events events) {
        this.events = events;
    }

    @Override
    public void launch(Launch launch) {
        var job = jobs.computeIfAbsent(launch.jobId(), id -> new Tracked(launch.studioId(), Where.NEW));
        var hello = hellos.get(launch.studioId());
        job.generation = hello == null ? -1 : hello.generation();
        job.exit = null;
        job.stoppedBy = -1;
        job.cancelSent = false;
        job.where = Where.LAUNCHING;
        var start = new ToMachine.JobStart(launch.jobId(), launch.request().entryPoint(), launch.request().args(),
                launch.request().nodes(), launch.request().devices(), Map.of("KILN_STUDIO_ID", launch.studioId()),
                launch.resume(), launch.connections());
        if (!machines.send(launch.studioId(), start)) {
            if (launch.resume()) {
                job.where = Where.LOST; // it waits for the next machine
            } else {
                job.exit = new ObservedJob.Exit(-1, JobPlanner.WENT_AWAY_BEFORE_START, false);
                job.where = Where.EXITED;
            }
        }
    }

    @Override
    public void cancel(String studioId, String jobId) {
        var job = jobs.get(jobId);
        if (job == null) {
            return;
        }
        job.cancelSent = true;
        if (!machines.send(studioId, new ToMachine.Cancel(jobId, CANCEL_GRACE_MILLIS)) && job.where != Where.EXITED) {
            job.where = Where.LOST;
        }
    }

    @Override
    public ObservedJob observe(String studioId, String jobId) {
        var job = jobs.get(jobId);
        if (job == null) {
            return ObservedJob.at(Where.NEW, machine(studioId, null)); // never launched nor adopted
        }
        return new ObservedJob(job.where, job.exit, machine(studioId, job), job.cancelSent);
    }

    /** Ready: connected, with the files, and not the machine that stopped the job by going away. */
    private Machine machine(String studioId, Tracked job) {
        var hello = hellos.get(studioId);
        if (hello != null && machines.isReady(studioId) && (job == null || hello.generation() != job.stoppedBy)) {
            return Machine.READY;
        }
        return wantsMachine.test(studioId) ? Machine.COMING : Machine.NONE;
    }

    @Override
    public void adopt(String studioId, JobSummary job, MachineType type) {
        var tracked = jobs.computeIfAbsent(job.id(), id -> new Tracked(studioId, Where.UNKNOWN));
        var hello = hellos.get(studioId);
        if (hello != null) {
            apply(hello, job.id(), tracked); // its machine said hello before the records were read
        }
    }

    @Override
    public void forget(String studioId, String jobId) {
        jobs.remove(jobId);
    }

    /** What machines say about their jobs, for every studio: registered once. */
    private void listenToMachines() {
        machines.on(FromMachine.Hello.class, (studioId, hello) -> {
            hellos.put(studioId, hello);
            ofStudio(studioId).forEach(e -> {
                apply(hello, e.getKey(), e.getValue());
                changed(e.getKey());
            });
        });
        machines.on(FromMachine.MachineLost.class, (studioId, lost) -> {
            hellos.computeIfPresent(studioId, (id, hello) -> hello.generation() == lost.generation() ? null : hello);
            ofStudio(studioId).forEach(e -> {
                var job = e.getValue();
                if (job.generation == lost.generation() || job.generation < 0) {
                    if (job.where == Where.LAUNCHING || job.where == Where.STARTING || job.where == Where.RUNNING) {
                        job.where = Where.LOST;
                    }
                }
                changed(e.getKey());
            });
        });
        // A machine has its files: it may be the one a waiting job resumes on.
        machines.on(FromMachine.Synced.class, (studioId, synced) -> ofStudio(studioId)
                .forEach(e -> changed(e.getKey())));
        machines.on(FromMachine.JobPhase.class, (studioId, phase) -> ifTracked(phase.id(), job -> {
            if (job.where == Where.LAUNCHING || job.where == Where.UNKNOWN || job.where == Where.MISSING) {
                job.where = Where.STARTING;
            }
            events.phase(phase.id(), phase.detail());
            changed(phase.id());
        }));
        machines.on(FromMachine.JobDiagnostics.class, (studioId, found) -> ifTracked(found.id(), job ->
                events.diagnostics(found.id(), found.items().stream().map(d -> new JobSummary.Diagnostic(
                        d.severity(), d.path(), d.line(), d.column(), d.message())).toList())));
        machines.on(FromMachine.Started.class, (studioId, started) -> ifTracked(started.id(), job -> {
            job.where = Where.RUNNING;
            job.cancelSent = false; // a cancel that came while it was still compiling is sent again now
            changed(started.id());
        }));
        machines.on(FromMachine.Output.class, (studioId, output) -> ifTracked(output.id(), job ->
                events.output(output.id(), output.data())));
        machines.on(FromMachine.Exit.class, (studioId, exit) -> ifTracked(exit.id(), job -> {
            if (exit.droppedChars() != null && exit.droppedChars() > 0) {
                events.logPartial(exit.id(), exit.droppedChars());
            }
            var hello = hellos.get(studioId);
            if (job.generation < 0 && hello != null) {
                job.generation = hello.generation(); // the machine it ended on is the one connected
            }
            ended(job, new ObservedJob.Exit(exit.code(), exit.error(), exit.wasInterrupted()));
            changed(exit.id());
        }));
        machines.on(FromMachine.WorkSaved.class, (studioId, saved) -> {
            saved.saved().forEach(job -> ifTracked(job.id(), t -> events.note(job.id(), "checkpointed at step "
                    + job.step() + " before the machine stopped")));
            saved.notSaved().forEach(id -> ifTracked(id, t -> events.note(id, "did not checkpoint within 30 s of "
                    + "being asked; it resumes from its last checkpoint")));
        });
    }

    /** What a machine's hello says about one job: running, preparing, ended, or not known there. */
    private static void apply(FromMachine.Hello hello, String jobId, Tracked job) {
        var report = hello.jobs() == null ? null : hello.jobs().stream().filter(r -> jobId.equals(r.id()))
                .reduce((first, second) -> second).orElse(null);
        if (report != null && FromMachine.JobReport.ENDED.equals(report.state())) {
            if (job.where != Where.EXITED) {
                job.generation = hello.generation();
                ended(job, new ObservedJob.Exit(report.code() == null ? -1 : report.code(), report.error(),
                        Boolean.TRUE.equals(report.interrupted())));
            }
        } else if (report != null) {
            job.generation = hello.generation();
            job.where = FromMachine.JobReport.RUNNING.equals(report.state()) ? Where.RUNNING : Where.STARTING;
        } else if (job.where != Where.EXITED && job.where != Where.NEW) {
            job.where = Where.MISSING;
        }
    }

    private static void ended(Tracked job, ObservedJob.Exit exit) {
        job.exit = exit;
        if (exit.interrupted()) {
            job.stoppedBy = job.generation;
        }
        job.where = Where.EXITED;
    }

    private List<Map.Entry<String, Tracked>> ofStudio(String studioId) {
        return jobs.entrySet().stream().filter(e -> e.getValue().studioId.equals(studioId)).toList();
    }

    private void ifTracked(String jobId, java.util.function.Consumer<Tracked> action) {
        var job = jobId == null ? null : jobs.get(jobId);
        if (job != null) {
            action.accept(job);
        }
    }

    private void changed(String jobId) {
        events.changed(jobId);
    }
}
