package dev.kiln.training.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingException;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.checkpoint.Safetensors;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.runtime.NativeErrors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code kiln-train}: the command the studio's machines run jobs with.
 * <pre>
 *   kiln-train fit --module com.example.MyModel --data com.example.MyData --trainer.max-epochs=5
 *   kiln-train launch --nproc-per-node 2 -- fit --module ... (DDP on this host)
 *   kiln-train inspect checkpoints/last
 * </pre>
 */
@Command(name = "kiln-train", mixinStandardHelpOptions = true, version = "kiln-train 0.1",
        description = "Kiln's training runtime: fit a TrainingModule, launch DDP workers, inspect checkpoints.",
        subcommands = {KilnTrain.Fit.class, KilnTrain.Launch.class, KilnTrain.Inspect.class})
public final class KilnTrain implements Callable<Integer> {

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        // Native thread pools (Gloo, OpenMP) must not keep a finished worker alive.
        System.exit(code);
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        var cli = new CommandLine(new KilnTrain());
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof TrainingException || e instanceof IllegalArgumentException) {
                err.println("kiln-train: " + e.getMessage());
            } else {
                err.println("kiln-train: " + NativeErrors.firstLine(e));
                e.printStackTrace(err);
            }
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return 2;
    }

    @Command(name = "fit", description = "Train a module. Trainer options: --trainer.NAME=VALUE (for example "
            + "--trainer.max-epochs=5 --trainer.precision=bf16-mixed).")
    static final class Fit implements Callable<Integer> {
        @Option(names = "--module", required = true, description = "TrainingModule class")
        String moduleClass;

        @Option(names = "--data", description = "DataModule class (default: the module, if it is one)")
        String dataClass;

        @Option(names = "--ckpt-path", description = "Checkpoint directory to resume from")
        Path ckptPath;

        @Option(names = "--arg", description = "key=value handed to the module's and data module's Map constructor")
        Map<String, String> args = Map.of();

        @CommandLine.Unmatched
        List<String> trainerOptions = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            var builder = Trainer.builder();
            for (String option : defaults(moduleClass)) {
                int eq = option.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("@TrainerDefaults of " + moduleClass + " has '" + option
                            + "'; write NAME=VALUE, for example max-epochs=5");
                }
                builder.set(option.substring(0, eq).strip(), option.substring(eq + 1).strip());
            }
            for (int i = 0; i < trainerOptions.size(); i++) {
                String option = trainerOptions.get(i);
                if (!option.startsWith("--trainer.")) {
                    throw new IllegalArgumentException("Unknown option " + option + " (trainer options look like "
                            + "--trainer.max-epochs=5)");
                }
                String body = option.substring("--trainer.".length());
                int eq = body.indexOf('=');
                if (eq >= 0) {
                    builder.set(body.substring(0, eq), body.substring(eq + 1));
                } else if (i + 1 < trainerOptions.size()) {
                    builder.set(body, trainerOptions.get(++i));
                } else {
                    throw new IllegalArgumentException("Option " + option + " needs a value");
                }
            }
            // The Trainer first: building it applies the seed, so the module's initial weights are reproducible.
            try (Trainer trainer = builder.build()) {
                TrainingModule module = instantiate(moduleClass, TrainingModule.class, args);
                DataModule data = dataClass != null ? instantiate(dataClass, DataModule.class, args)
                        : module instanceof DataModule d ? d : null;
                if (data == null) {
                    throw new IllegalArgumentException("No data: pass --data with a DataModule class, or make "
                            + moduleClass + " implement DataModule");
                }
                var extra = new ArrayList<Callback>();
                for (Object part : new java.util.LinkedHashSet<Object>(List.of(module, data))) {
                    if (part instanceof Callback callback) {
                        extra.add(callback);
                    }
                }
                trainer.addCallbacks(extra);
                trainer.fit(module, data, ckptPath);
            }
            return 0;
        }
    }

    @Command(name = "launch", description = "Start one worker per device on this host, wired for DDP "
            + "(like torchrun). Everything after -- is the worker's command, e.g. fit --module ...")
    static final class Launch implements Callable<Integer> {
        @Option(names = "--nproc-per-node", defaultValue = "1") int nprocPerNode;
        @Option(names = "--nnodes", defaultValue = "1") int nnodes;
        @Option(names = "--node-rank", defaultValue = "0") int nodeRank;
        @Option(names = "--master-addr", defaultValue = "127.0.0.1") String masterAddr;
        @Option(names = "--master-port", defaultValue = "0", description = "0 picks a free port (single node only)")
        int masterPort;
        @Option(names = "--grace-seconds", defaultValue = "10",
                description = "How long the other ranks may take to stop after one fails")
        int graceSeconds;
        @Parameters(description = "the worker command") List<String> worker = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            if (worker.isEmpty()) {
                throw new IllegalArgumentException("Nothing to launch: add -- fit --module ...");
            }
            if (masterPort == 0 && nnodes > 1) {
                throw new IllegalArgumentException("--master-port is required with --nnodes > 1");
            }
            var spec = new LocalLauncher.Spec(nprocPerNode, nnodes, nodeRank, masterAddr, masterPort,
                    Duration.ofSeconds(graceSeconds));
            return new LocalLauncher(System.out).run(spec, worker, Map.of());
        }
    }

    @Command(name = "inspect", description = "List the tensors and trainer state in a checkpoint or safetensors file.")
    static final class Inspect implements Callable<Integer> {
        @Parameters(description = "checkpoint directory or .safetensors file") Path path;

        @Override
        public Integer call() throws Exception {
            Path file = java.nio.file.Files.isDirectory(path) ? path.resolve("model.safetensors") : path;
            var header = Safetensors.readHeader(file);
            long bytes = 0;
            for (var entry : header.entries()) {
                System.out.println(entry);
                bytes += entry.byteLength();
            }
            System.out.println(header.entries().size() + " tensors, " + bytes + " bytes; metadata " + header.metadata());
            if (java.nio.file.Files.isDirectory(path)) {
                var state = dev.kiln.training.checkpoint.CheckpointIO.readTrainerState(path);
                System.out.println("step " + state.get("step") + ", epoch " + state.get("epoch"));
            }
            return 0;
        }
    }

    /** The module's {@link dev.kiln.training.TrainerDefaults}, read without initializing the class. */
    static List<String> defaults(String className) {
        try {
            Class<?> cls = Class.forName(className, false, KilnTrain.class.getClassLoader());
            var defaults = cls.getAnnotation(dev.kiln.training.TrainerDefaults.class);
            return defaults == null ? List.of() : List.of(defaults.value());
        } catch (ClassNotFoundException | LinkageError e) {
            return List.of(); // instantiate() says what is wrong with the class
        }
    }

    static <T> T instantiate(String className, Class<T> type, Map<String, String> args) throws Exception {
        Class<?> cls;
        try {
            cls = Class.forName(className);
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("Class " + className + " is not on the classpath");
        }
        if (!type.isAssignableFrom(cls)) {
            throw new IllegalArgumentException(className + " is not a " + type.getSimpleName());
        }
        try {
            return type.cast(cls.getConstructor(Map.class).newInstance(args));
        } catch (NoSuchMethodException e) {
            try {
                return type.cast(cls.getConstructor().newInstance());
            } catch (NoSuchMethodException e2) {
                throw new IllegalArgumentException(className + " needs a public no-argument constructor "
                        + "(or one taking Map<String, String> for --arg values)");
            }
        }
    }
}
