package dev.kiln.server.machine;

import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachineReconciler;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.server.config.LogText;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioActivity;
import dev.kiln.server.studio.StudioAccess.Need;
import dev.kiln.api.machine.MachineControl;
import dev.kiln.api.machine.MachinePhase;
import dev.kiln.api.machine.MachineState;
import dev.kiln.api.studio.StudioException;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Studios' machines: what the user asked for (persisted) and what the reconciler makes of it. Each studio is
 * reconciled on its own, under its own lock: four times a second, at once after a request or a change the backend
 * reports, by a small pool of workers that takes one pass per studio at a time. A studio whose pass is still running
 * is simply visited again at the next tick, and one whose pass failed is requeued after a growing delay (up to 30 s),
 * so a slow or failing studio (a throttling API server, a full disk) never holds up the others, and nothing sleeps
 * while holding a lock another studio needs.
 */
public class MachineService implements MachineControl {
    private static final Logger log = LoggerFactory.getLogger(MachineService.class);

    private final MachineRepository repository;
    private final StudioAccess access;
    private final MachineCatalog catalog;
    private final MachineBackend backend;
    private final MachineReconciler<String> reconciler;
    private final Clock clock;
    private final Map<String, Observed> latest = new ConcurrentHashMap<>();
    private final Map<String, String> stoppedBecause = new ConcurrentHashMap<>();
    private final StudioActivity activity;
    private final Duration idleStop;

    private record Observed(MachinePlan plan, Instant since) {}

    MachineService(MachineRepository repository, StudioAccess access, MachineCatalog catalog,
                   MachineBackend backend, AgentRegistry agents, MachineReconciler<String> reconciler, Clock clock,
                   StudioActivity activity, Duration idleStop) {
        this.activity = activity;
        this.idleStop = idleStop;
        // Act on a process exit or an agent connecting at once, not at the next tick: each switch phase waits on one.
        backend.onChange(this::wake);
        agents.onChange(this::wake);
        this.repository = repository;
        this.access = access;
        this.catalog = catalog;
        this.backend = backend;
        this.reconciler = reconciler;
        this.clock = clock;
    }

    @Override
    public MachineState state(String studioId) {
        access.require(studioId, Need.VIEW);
        var desired = repository.find(studioId).orElse(null);
        var options = backend.offerable().stream()
                .map(t -> new MachineState.Option(t.id(), t.displayName(), t.pricePerHour(), t.cpu(), t.memory(),
                        t.gpuCount(), t.gpu() == null ? null : t.gpu().model())).toList();
        if (desired == null) {
            return new MachineState(null, null, false, MachinePhase.STOPPED, "No machine yet", "Start a machine to run "
                    + "code, a terminal or jobs", null, null, options, backend.unsandboxedReason());
        }
        var observed = latest.get(studioId);
        MachinePhase phase = MachinePhases.shown(observed == null ? (desired.running() ? Phase.SCHEDULING : Phase.STOPPED)
                : observed.plan().phase());
        String detail = observed == null ? "" : observed.plan().detail();
        if (!desired.running() && stoppedBecause.containsKey(studioId)) {
            detail = stoppedBecause.get(studioId);
        }
        return new MachineState(desired.machineType(), catalog.find(desired.machineType()).map(MachineType::displayName)
                .orElse(desired.machineType()), desired.running(), phase, phase.label(), detail,
                observed == null ? null : observed.since(), desired.switching() ? desired.fallbackType() : null, options,
                backend.unsandboxedReason());
    }

    private OpenTerminals terminals;

    /** Set after construction: the terminals follow the machine, not the other way round. */
    @org.springframework.beans.factory.annotation.Autowired
    void terminals(@org.springframework.context.annotation.Lazy OpenTerminals terminals) {
        this.terminals = terminals;
    }

    @Override
    public java.util.List<String> terminals(String studioId) {
        access.require(studioId, Need.VIEW);
        return terminals == null ? java.util.List.of() : terminals.names(studioId);
    }

    @Override
    public java.util.Map<String, String> unavailable(String studioId) {
        access.require(studioId, Need.VIEW);
        String current = repository.find(studioId).filter(DesiredMachine::running).map(DesiredMachine::machineType)
                .orElse(null);
        var reasons = new java.util.LinkedHashMap<String, String>();
        for (MachineType type : backend.offerable()) {
            if (type.id().equals(current)) {
                continue; // it runs: whatever it holds is its own
            }
            try {
                var capacity = backend.observe(studioId, type.id()).capacity();
                if (!capacity.fits()) {
                    reasons.put(type.id(), capacity.reason());
                }
            } catch (RuntimeException e) {
                reasons.put(type.id(), "Kiln could not check whether it can start now: " + e.getMessage());
            }
        }
        return reasons;
    }

    /** Whether the studio should have a running machine (no access check: for the server's own decisions). */
    public boolean wantsMachine(String studioId) {
        return repository.find(studioId).map(DesiredMachine::running).orElse(false);
    }

    /** Starts the studio's machine, or switches it to {@code machineType}. One switch at a time. */
    @Override
    public MachineState switchTo(String studioId, String machineType) {
        access.require(studioId, Need.OWN);
        synchronized (lockOf(studioId)) {
            return switchLocked(studioId, machineType);
        }
    }

    private MachineState switchLocked(String studioId, String machineType) {
        if (machineType == null || machineType.isBlank()) {
            throw new StudioException(StudioException.Kind.INVALID, "Choose a machine type.");
        }
        MachineType type = offerable(machineType);
        var current = repository.find(studioId).orElse(null);
        if (current != null && current.switching() && current.running()) {
            throw new StudioException(StudioException.Kind.CONFLICT, "A switch to " + current.machineType()
                    + " is already under way; wait for it to finish.");
        }
        activity.touch(studioId);
        stoppedBecause.remove(studioId);
        DesiredMachine next;
        if (current == null || !current.running()) {
            next = DesiredMachine.running(studioId, type.id());
        } else if (current.machineType().equals(type.id())) {
            return state(studioId);
        } else {
            next = current.switchTo(type.id());
        }
        repository.save(next);
        reconcile(next);
        return state(studioId);
    }

    @Override
    public MachineState stop(String studioId) {
        access.require(studioId, Need.OWN);
        synchronized (lockOf(studioId)) {
            return stopLocked(studioId);
        }
    }

    private MachineState stopLocked(String studioId) {
        var current = repository.find(studioId)
                .orElseThrow(() -> new StudioException(StudioException.Kind.INVALID, "This studio has no machine."));
        repository.save(current.stopped());
        stoppedBecause.put(studioId, "Stopped by " + dev.kiln.server.security.Users.current().displayName()
                + "; files are kept");
        reconcile(current.stopped());
        return state(studioId);
    }

    private MachineType offerable(String id) {
        return backend.offerable().stream().filter(t -> t.id().equals(id)).findFirst()
                .orElseThrow(() -> new StudioException(StudioException.Kind.INVALID, catalog.find(id).isEmpty()
                        ? "Unknown machine type '" + id + "'. Known types: " + String.join(", ",
                        backend.offerable().stream().map(MachineType::id).toList())
                        : catalog.require(id).displayName() + " cannot run here: "
                        + backend.whyNot(catalog.require(id))));
    }

    private final java.util.concurrent.ExecutorService waker = java.util.concurrent.Executors.newSingleThreadExecutor(
            Thread.ofPlatform().name("kiln-machine-wake").daemon().factory());
    private final java.util.concurrent.atomic.AtomicBoolean wakePending = new java.util.concurrent.atomic.AtomicBoolean();

    /** Runs a pass soon; requests that arrive while one is pending are folded into it. */
    void wake() {
        if (wakePending.compareAndSet(false, true)) {
            waker.execute(() -> {
                wakePending.set(false);
                reconcileAll();
            });
        }
    }

    private static final int WORKERS = 4;
    static final Duration FIRST_RETRY = Duration.ofMillis(250);
    static final Duration LONGEST_RETRY = Duration.ofSeconds(30);
    private final java.util.concurrent.ExecutorService workers = java.util.concurrent.Executors.newFixedThreadPool(
            WORKERS, Thread.ofPlatform().name("kiln-machine-", 1).daemon().factory());
    /** Studios whose pass is queued or running: a studio has at most one at a time. */
    private final java.util.Set<String> inFlight = ConcurrentHashMap.newKeySet();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    /** Studios whose last pass failed: how many times in a row, and not before when the next one runs. */
    private final Map<String, Retry> retries = new ConcurrentHashMap<>();

    private record Retry(int failures, Instant notBefore) {}

    private Object lockOf(String studioId) {
        return locks.computeIfAbsent(studioId, id -> new Object());
    }

    /** Queues one pass for the studio, unless one is queued or running already, or it waits to be retried. */
    private void enqueue(String studioId, boolean orphan) {
        var retry = retries.get(studioId);
        if (retry != null && retry.notBefore().isAfter(clock.instant())) {
            return;
        }
        if (!inFlight.add(studioId)) {
            return; // its pass is under way: the next tick visits it again
        }
        try {
            workers.execute(() -> {
                try {
                    reconcileStudio(studioId, orphan);
                } finally {
                    inFlight.remove(studioId);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            inFlight.remove(studioId); // shutting down
        }
    }

    /** One studio's pass, from what is stored now (a request may have changed it since the tick). */
    private void reconcileStudio(String studioId, boolean orphan) {
        synchronized (lockOf(studioId)) {
            try {
                var desired = repository.find(studioId).orElse(null);
                if (desired != null) {
                    reconcile(stopIfIdle(desired));
                } else if (orphan) {
                    // The studio was deleted (its row went with it): stop its machine too.
                    reconcile(new DesiredMachine(studioId, "-", false, null));
                    latest.remove(studioId);
                }
                retries.remove(studioId);
            } catch (RuntimeException e) {
                int failures = retries.getOrDefault(studioId, new Retry(0, Instant.MIN)).failures() + 1;
                Duration wait = FIRST_RETRY.multipliedBy(1L << Math.min(failures - 1, 7));
                wait = wait.compareTo(LONGEST_RETRY) > 0 ? LONGEST_RETRY : wait;
                retries.put(studioId, new Retry(failures, clock.instant().plus(wait)));
                // One studio's trouble (a full disk, a bad process, a throttling API server) stops nobody else.
                if (e instanceof dev.kiln.machine.plan.TryAgainSoon && failures < 5) {
                    log.debug("Reconciling the machine of {} meets a passing condition; next try in {} ms: {}",
                            studioId, wait.toMillis(), LogText.clean(e.getMessage()));
                    return;
                }
                log.warn("Reconciling the machine of {} {} failed ({} in a row; next try in {} ms): {}",
                        orphan ? "deleted studio" : "studio", studioId, failures, wait.toMillis(),
                        LogText.clean(e.getMessage()));
            }
        }
    }


    /** Deleted studios whose machine's files go to the trash once the machine has stopped. */
    private final java.util.Set<String> toDiscard = ConcurrentHashMap.newKeySet();

    @org.springframework.context.event.EventListener
    void studioDeleted(dev.kiln.server.studio.StudioDeleted event) {
        toDiscard.add(event.studioId());
        wake();
    }

    /** A tick: every studio with a desired machine, and every machine whose studio is gone, gets a pass. */
    @Scheduled(fixedDelay = 250)
    public void reconcileAll() {
        var known = new java.util.HashSet<String>();
        for (DesiredMachine desired : repository.all()) {
            known.add(desired.studioId());
            enqueue(desired.studioId(), false);
        }
        var withMachines = backend.studiosWithMachines();
        for (String orphan : withMachines) {
            if (!known.contains(orphan)) {
                enqueue(orphan, true);
            }
        }
        for (String deleted : toDiscard) {
            if (!withMachines.contains(deleted)) {
                try {
                    backend.discard(deleted);
                    toDiscard.remove(deleted);
                } catch (RuntimeException e) {
                    log.warn("Could not put the machine of deleted studio {} in the trash: {}", deleted, e.getMessage());
                }
            }
        }
    }

    /**
     * A running machine nobody has used for {@code idleStop} is stopped (its home stays), as Lightning Studio does,
     * so a forgotten GPU does not run all night. Activity: typing, saving, changing the machine.
     */
    private DesiredMachine stopIfIdle(DesiredMachine desired) {
        var observed = latest.get(desired.studioId());
        if (idleStop.isZero() || !desired.running() || observed == null || observed.plan().phase() != Phase.READY) {
            return desired;
        }
        Instant lastUsed = activity.last(desired.studioId()).filter(t -> t.isAfter(observed.since()))
                .orElse(observed.since());
        if (Duration.between(lastUsed, clock.instant()).compareTo(idleStop) < 0) {
            return desired;
        }
        var stopped = desired.stopped();
        repository.save(stopped);
        stoppedBecause.put(desired.studioId(), "Stopped after " + describe(idleStop) + " without activity; files are "
                + "kept. Start it again when you need it.");
        log.info("Stopped the idle machine of studio {}", desired.studioId());
        return stopped;
    }

    private static String describe(Duration duration) {
        return duration.toMinutes() >= 1 ? duration.toMinutes() + " min" : duration.toSeconds() + " s";
    }

    private void reconcile(DesiredMachine desired) {
        MachinePlan plan = reconciler.reconcile(desired.studioId(), desired, repository::save);
        if (plan.phase() == Phase.READY && desired.switching()) {
            // The switch is done: forget the fallback, so a later failure restarts instead of reverting.
            repository.save(DesiredMachine.running(desired.studioId(), desired.machineType()));
        }
        if (plan.phase() == Phase.FAILED && desired.running()) {
            // It cannot start (it crashed while starting, or there is no room): stop asking, say why, and let the
            // user start it again, instead of retrying for ever.
            repository.save(desired.stopped());
            stoppedBecause.put(desired.studioId(), plan.detail());
            // The detail may quote the agent's own log: the machine's words, made safe for one line.
            log.warn("Machine of studio {} could not start: {}", desired.studioId(), LogText.clean(plan.detail()));
        }
        latest.compute(desired.studioId(), (id, before) -> before != null && before.plan().phase() == plan.phase()
                ? new Observed(plan, before.since()) : new Observed(plan, clock.instant()));
        if (plan.steps().stream().anyMatch(s -> s instanceof MachineStep.Revert)) {
            log.info("Machine of studio {}: {}", desired.studioId(), LogText.clean(plan.detail()));
        }
    }

    @PreDestroy
    void stopMachines() {
        waker.shutdownNow();
        workers.shutdownNow();
        backend.shutdown();
    }
}
