package dev.kiln.machine.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.agent.MachineAgent;
import dev.kiln.machine.catalog.CatalogException;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.catalog.ResourceQuantity;
import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.machine.plan.ObservedMachine;
import dev.kiln.machine.plan.ObservedMachine.State;

/**
 * The embedded default: a studio's machine is a local agent process on this host. Its "volume" is a home directory
 * under Kiln's data directory, which survives every switch; its "anchor" is {@code machine.json} beside it, which
 * remembers the last generation. The process and everything it starts are pinned to the machine type's CPU count
 * ({@code taskset}, where present) as their limit; GPU types are offered only where the host has GPUs.
 */
public final class LocalProcessBackend implements MachineBackend {
    private final Path machinesDir;
    private final MachineCatalog catalog;
    private final AgentRegistry agents;
    private final java.util.function.Supplier<String> serverUrl;
    private final Clock clock;
    private final Map<String, LocalMachine> machines = new ConcurrentHashMap<>();
    private final java.util.List<Runnable> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final List<String> agentJvmOptions;
    private final MachineSandbox sandbox;
    private final AgentRuntime runtime;
    private final Map<String, String> extraEnvironment;

    private record LocalMachine(String studioId, String name, String type, long generation, Process process,
                                Instant started, boolean deleting) {}

    /** Unsandboxed, with no extra JVM options: for tests of the backend's own logic. */
    public LocalProcessBackend(Path machinesDir, MachineCatalog catalog, AgentRegistry agents,
                               java.util.function.Supplier<String> serverUrl,
                               Clock clock, List<String> agentJvmOptions) {
        this(machinesDir, catalog, agents, serverUrl, clock, agentJvmOptions, AgentRuntime.thisJvm(),
                new MachineSandbox.None("not sandboxed (a test of the local backend)"), Map.of());
    }

    /**
     * {@code agentJvmOptions}: more options for every agent's JVM (kiln.machine.local.agent-jvm-options);
     * {@code runtime}: the jars machines run (kiln.machine.local.runtime); {@code sandbox}: how machines are kept
     * apart from the server; {@code extraEnvironment}: variables an admin
     * chose to give every machine (kiln.machine.local.environment). Nothing else of the server's environment reaches
     * a machine.
     */
    public LocalProcessBackend(Path machinesDir, MachineCatalog catalog, AgentRegistry agents,
                               java.util.function.Supplier<String> serverUrl,
                               Clock clock, List<String> agentJvmOptions, AgentRuntime runtime,
                               MachineSandbox sandbox, Map<String, String> extraEnvironment) {
        this.runtime = runtime;
        this.agentJvmOptions = List.copyOf(agentJvmOptions);
        this.machinesDir = machinesDir;
        this.catalog = catalog;
        this.agents = agents;
        this.serverUrl = serverUrl;
        this.clock = clock;
        this.sandbox = sandbox;
        this.extraEnvironment = Map.copyOf(extraEnvironment);
    }

    @Override
    public String unsandboxedReason() {
        return sandbox.unsandboxedReason();
    }

    /** Called when a machine's process exits, so a reconciler can act at once. */
    @Override
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /** The catalog this host can offer: types whose CPU, memory and GPUs fit it. */
    @Override
    public List<MachineType> offerable() {
        return catalog.types().stream().filter(t -> fits(t) == null).toList();
    }

    /** Why this host cannot run a type, or null when it can. */
    @Override
    public String whyNot(MachineType type) {
        return fits(type);
    }

    /** Studios that have a machine process right now (to find machines whose studio is gone). */
    @Override
    public java.util.Set<String> studiosWithMachines() {
        var studios = new java.util.HashSet<String>();
        machines.values().forEach(m -> studios.add(m.studioId()));
        return studios;
    }

    @Override
    public ObservedMachine observe(String studioId, String desiredType) {
        Path dir = machinesDir.resolve(studioId);
        var pods = new ArrayList<ObservedMachine.Pod>();
        for (LocalMachine machine : List.copyOf(machines.values())) {
            if (!machine.studioId().equals(studioId)) {
                continue;
            }
            State state;
            String reason = null;
            if (machine.deleting() && (agents.hasStoppedCleanly(studioId, machine.generation())
                    || !machine.process().isAlive())) {
                // Being deleted and its agent has finished stopping (or is gone): the home is free for the next
                // machine. The process exits on its own in a moment (killed after 10 s if not), and then leaves the
                // map (see DeletePod); observing changes nothing, so the same state always gives the same plan.
                continue;
            }
            if (machine.process().isAlive()) {
                state = agents.isReady(studioId, machine.generation()) ? State.READY
                        : agents.isConnected(studioId, machine.generation()) ? State.SYNCING : State.STARTING;
            } else {
                state = State.FAILED;
                reason = "the agent process exited with code " + machine.process().exitValue();
                if (!agents.everConnected(studioId, machine.generation())) {
                    // It never got as far as dialling home: starting it again would fail the same way, so report
                    // a crash loop (the planner gives up at once, as the since is long past) with the agent's words.
                    state = State.CRASH_LOOP;
                    reason = reason + lastLines(dir.resolve("agent-g" + machine.generation() + ".log"));
                    pods.add(new ObservedMachine.Pod(machine.name(), machine.type(), machine.generation(), state,
                            reason, java.time.Instant.EPOCH, machine.deleting()));
                    continue;
                }
            }
            pods.add(new ObservedMachine.Pod(machine.name(), machine.type(), machine.generation(), state, reason,
                    machine.started(), machine.deleting()));
        }
        MachineType type;
        try {
            type = catalog.require(desiredType);
        } catch (CatalogException e) {
            return new ObservedMachine(Files.exists(dir.resolve("machine.json")), Files.isDirectory(dir.resolve("home")),
                    lastGeneration(dir), pods, ObservedMachine.Capacity.noRoom(e.getMessage()), agents.saves(studioId));
        }
        String misfit = fits(type);
        return new ObservedMachine(Files.exists(dir.resolve("machine.json")), Files.isDirectory(dir.resolve("home")),
                lastGeneration(dir), pods, misfit == null ? ObservedMachine.Capacity.available()
                : ObservedMachine.Capacity.noRoom(misfit), agents.saves(studioId));
    }

    @Override
    public void perform(String studioId, MachineStep step) {
        Path dir = machinesDir.resolve(studioId);
        try {
            switch (step) {
                case MachineStep.CreateAnchor ignored -> {
                    Files.createDirectories(dir);
                    if (!Files.exists(dir.resolve("machine.json"))) {
                        writeGeneration(dir, 0);
                    }
                }
                case MachineStep.CreateVolume ignored -> Files.createDirectories(dir.resolve("home"));
                case MachineStep.SaveWork save -> agents.requestSave(new AgentRegistry.Identity(studioId,
                        save.generation()));
                case MachineStep.DeletePod delete -> {
                    LocalMachine machine = machines.get(delete.podName());
                    if (machine != null && !machine.deleting()) {
                        machines.put(machine.name(), new LocalMachine(machine.studioId(), machine.name(), machine.type(),
                                machine.generation(), machine.process(), machine.started(), true));
                        agents.revoke(studioId, machine.generation());
                        MachineProcesses.terminate(machine.process());
                        // SIGTERM first, so the agent can save; a process that ignores it is killed after 10 s.
                        machine.process().onExit().orTimeout(10, TimeUnit.SECONDS).whenComplete((exited, timeout) -> {
                            if (timeout != null) {
                                MachineProcesses.kill(machine.process());
                            }
                            machine.process().onExit().thenRun(() -> {
                                machines.remove(machine.name());
                                agents.forgetStopped(studioId, machine.generation());
                            });
                        });
                    }
                }
                case MachineStep.CreatePod create -> start(studioId, dir, catalog.require(create.machineType()),
                        create.generation());
                case MachineStep.Revert ignored -> throw new IllegalArgumentException("Revert is the reconciler's");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Local machine of studio " + studioId + ": " + e.getMessage(), e);
        }
    }

    private void start(String studioId, Path dir, MachineType type, long generation) throws IOException {
        String name = "kiln-studio-" + studioId + "-g" + generation;
        if (machines.containsKey(name)) {
            return; // already started: the step is safe to repeat
        }
        writeGeneration(dir, generation);
        String token = agents.issue(studioId, generation);
        int cpus = Math.max(1, ResourceQuantity.parse(type.cpu()).amount().intValue());
        var agent = new ArrayList<String>();
        agent.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        agent.add("-XX:ActiveProcessorCount=" + cpus);
        agent.add("-Xmx128m");
        agent.add("-XX:+UseSerialGC");
        agent.add("--enable-native-access=ALL-UNNAMED"); // pty4j and JNA (prctl)
        agent.addAll(agentJvmOptions);
        agent.addAll(runtime.javaArguments());
        Path home = dir.resolve("home");
        var machine = new MachineSandbox.Machine(studioId, dir, home, agent);
        var command = new ArrayList<String>();
        if (cpus < Runtime.getRuntime().availableProcessors() && Files.isExecutable(Path.of("/usr/bin/taskset"))) {
            // Pin the machine (and everything it runs: shells, jobs) to its share of cores, as a pod's limit would.
            command.addAll(List.of("/usr/bin/taskset", "-c", "0-" + (cpus - 1)));
        }
        command.addAll(sandbox.wrap(machine));
        var builder = new ProcessBuilder(command).directory(home.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("agent-g" + generation + ".log").toFile()));
        var env = builder.environment();
        // A machine starts from an empty environment: none of the server's variables (its admin password, cloud
        // keys, database settings) may reach it.
        env.clear();
        env.putAll(MachineEnvironment.of(sandbox.homeInside(machine), extraEnvironment));
        env.put("KILN_SERVER_URL", serverUrl.get());
        env.put("KILN_STUDIO_ID", studioId);
        env.put("KILN_MACHINE_TYPE", type.id());
        env.put("KILN_MACHINE_GENERATION", String.valueOf(generation));
        Process process = builder.start();
        // The token travels on standard input, read once by the agent: never in an environment or a file that a
        // shell or job of the machine could read.
        try (var stdin = process.getOutputStream()) {
            stdin.write((token + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // it exited already; observe() reports why
        }
        machines.put(name, new LocalMachine(studioId, name, type.id(), generation, process, clock.instant(), false));
        process.onExit().thenRun(() -> listeners.forEach(Runnable::run));
    }

    /** The last three lines of an agent's log (at most 400 characters), for a reason a person can act on. */
    private static String lastLines(Path log) {
        try {
            var lines = Files.readAllLines(log).stream().filter(l -> !l.isBlank()).toList();
            String last = String.join(" / ", lines.subList(Math.max(0, lines.size() - 3), lines.size()));
            return lines.isEmpty() ? "" : ": " + (last.length() > 400 ? last.substring(last.length() - 400) : last);
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    /** GPUs on this computer, counted once (nvidia-smi; none without the NVIDIA driver). */
    private final int hostGpus = dev.kiln.machine.agent.GpuSampler.find().count();

    /** Null when the type fits this host, else why not. */
    private String fits(MachineType type) {
        int cores = Runtime.getRuntime().availableProcessors();
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getTotalMemorySize() : Long.MAX_VALUE;
        if (type.gpuCount() > hostGpus) {
            return (hostGpus == 0 ? "This computer has no GPU that Kiln can use (no nvidia-smi)" : "This computer has "
                    + hostGpus + " GPU" + (hostGpus == 1 ? "" : "s")) + "; " + type.displayName() + " needs "
                    + type.gpuCount() + ". Run Kiln on a cluster with GPU nodes, or pick a CPU machine.";
        }
        if (ResourceQuantity.parse(type.cpu()).amount().doubleValue() > cores) {
            return "This computer has " + cores + " cores; " + type.displayName() + " needs " + type.cpu() + ".";
        }
        if (ResourceQuantity.parse(type.memory()).amount().longValue() > memory) {
            return "This computer has " + (memory >> 30) + " GiB of memory; " + type.displayName() + " needs "
                    + type.memory() + ".";
        }
        return null;
    }

    private static long lastGeneration(Path dir) {
        try {
            Path file = dir.resolve("machine.json");
            if (!Files.exists(file)) {
                return 0;
            }
            return tools.jackson.databind.json.JsonMapper.shared().readTree(Files.readString(file))
                    .path("lastGeneration").asLong();
        } catch (IOException e) {
            return 0;
        }
    }

    private static void writeGeneration(Path dir, long generation) throws IOException {
        Path tmp = dir.resolve("machine.json.tmp");
        Files.writeString(tmp, "{\"lastGeneration\":" + generation + "}");
        Files.move(tmp, dir.resolve("machine.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * A deleted studio's machine directory (its home: data, job outputs, checkpoints) goes to the trash beside
     * the deleted workspace, once no process of it runs.
     */
    @Override
    public void discard(String studioId) {
        Path dir = machinesDir.resolve(studioId);
        if (!Files.exists(dir) || !processes(studioId).isEmpty()) {
            return;
        }
        try {
            Path trash = Files.createDirectories(machinesDir.resolveSibling("trash"));
            Files.move(dir, trash.resolve(studioId + "-machine-" + clock.millis()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot move the machine of studio " + studioId + " to the trash", e);
        }
    }

    /** The live agent processes of a studio (normally one; two for a moment during a switch). */
    public List<ProcessHandle> processes(String studioId) {
        return machines.values().stream().filter(m -> m.studioId().equals(studioId) && m.process().isAlive())
                .map(m -> m.process().toHandle()).toList();
    }

    /** Stops every local machine (server shutdown); their homes stay. */
    @Override
    public void shutdown() {
        for (LocalMachine machine : machines.values()) {
            MachineProcesses.terminate(machine.process());
        }
        for (LocalMachine machine : machines.values()) {
            try {
                if (!machine.process().waitFor(5, TimeUnit.SECONDS)) {
                    MachineProcesses.kill(machine.process());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
