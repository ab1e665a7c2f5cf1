package dev.kiln.training.checkpoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.bytedeco.pytorch.InputArchive;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.OutputArchive;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import dev.kiln.training.runtime.NativeErrors;
import dev.kiln.training.runtime.Tensors;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A checkpoint is a directory (layout in training-runtime/README.md):
 * <pre>
 *   model.safetensors   parameters and buffers by their module path ("encoder.fc1.weight"), readable by Python
 *   optimizer.pt        the optimizer's state in libtorch's archive format
 *   rng.safetensors     the CPU generator's state ("cpu", U8)
 *   trainer.json        step, epoch, position in the epoch, scheduler, loss scaler and callback state
 * </pre>
 * It is written into a hidden temporary directory beside the target and renamed into place, so a crash mid-write
 * never leaves a half-written checkpoint under the real name.
 */
public final class CheckpointIO {
    public static final String FORMAT = "kiln-checkpoint-1";
    public static final String MODEL = "model.safetensors";
    public static final String OPTIMIZER = "optimizer.pt";
    public static final String RNG = "rng.safetensors";
    public static final String TRAINER = "trainer.json";
    private static final JsonMapper JSON = JsonMapper.shared();

    private CheckpointIO() {}

    public static Map<String, Tensor> stateDict(Module module) {
        var state = new LinkedHashMap<String, Tensor>();
        putAll(state, module.named_parameters());
        putAll(state, module.named_buffers());
        return state;
    }

    private static void putAll(Map<String, Tensor> state, StringTensorDict dict) {
        var items = dict.items();
        for (long i = 0; i < items.size(); i++) {
            state.put(items.get(i).key().getString(), Tensors.own(items.get(i).value()));
        }
    }

    /** Writes a complete checkpoint to {@code target}, replacing any checkpoint already there. */
    public static void save(Path target, Module module, Optimizer optimizer, Map<String, Object> trainerState)
            throws IOException {
        Path tmp = temporarySibling(target);
        try {
            Files.createDirectories(tmp);
            var metadata = Map.of("format", FORMAT, "step", String.valueOf(trainerState.getOrDefault("step", "")));
            Safetensors.write(tmp.resolve(MODEL), stateDict(module), metadata);
            if (optimizer != null) {
                var archive = new OutputArchive();
                optimizer.save(archive);
                archive.save_to(tmp.resolve(OPTIMIZER).toString());
            }
            Safetensors.write(tmp.resolve(RNG), Map.of("cpu", torch.getDefaultCPUGenerator().get_state()), Map.of());
            var state = new LinkedHashMap<String, Object>();
            state.put("format", FORMAT);
            state.putAll(trainerState);
            Files.write(tmp.resolve(TRAINER), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(state));
            moveIntoPlace(tmp, target);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Makes {@code target} a copy of {@code source} by hard links (falling back to copies), atomically. */
    public static void linkCopy(Path source, Path target) throws IOException {
        Path tmp = temporarySibling(target);
        try {
            Files.createDirectories(tmp);
            try (Stream<Path> files = Files.list(source)) {
                for (Path file : files.toList()) {
                    try {
                        Files.createLink(tmp.resolve(file.getFileName()), file);
                    } catch (IOException | UnsupportedOperationException e) {
                        Files.copy(file, tmp.resolve(file.getFileName()));
                    }
                }
            }
            moveIntoPlace(tmp, target);
        } catch (IOException | RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** The trainer state of a checkpoint, after checking the directory is one. */
    public static Map<String, Object> readTrainerState(Path dir) {
        requireCheckpoint(dir);
        try {
            Map<String, Object> state = JSON.readValue(dir.resolve(TRAINER).toFile(), new TypeReference<>() {});
            if (!FORMAT.equals(state.get("format"))) {
                throw new CheckpointException(dir.resolve(TRAINER) + " has format '" + state.get("format")
                        + "', expected '" + FORMAT + "'");
            }
            return state;
        } catch (RuntimeException e) {
            if (e instanceof CheckpointException c) {
                throw c;
            }
            throw new CheckpointException(dir.resolve(TRAINER) + " is not valid JSON: " + NativeErrors.firstLine(e), e);
        }
    }

    /**
     * Loads weights into the module after checking every name and shape; on a mismatch nothing is changed and the
     * error lists every missing, unexpected and mis-shaped tensor.
     */
    public static void loadWeights(Path modelFile, Module module) {
        var header = Safetensors.readHeader(modelFile);
        var expected = stateDict(module);
        var missing = new ArrayList<String>();
        var wrongShape = new ArrayList<String>();
        for (var entry : expected.entrySet()) {
            var stored = header.entry(entry.getKey());
            long[] shape = Tensors.shape(entry.getValue());
            if (stored == null) {
                missing.add(entry.getKey() + " " + Arrays.toString(shape));
            } else if (!Arrays.equals(stored.shape(), shape)) {
                wrongShape.add(entry.getKey() + ": checkpoint " + Arrays.toString(stored.shape()) + ", model "
                        + Arrays.toString(shape));
            }
        }
        var unexpected = header.entries().stream().map(Safetensors.Entry::name)
                .filter(name -> !expected.containsKey(name)).toList();
        if (!missing.isEmpty() || !wrongShape.isEmpty() || !unexpected.isEmpty()) {
            var message = new StringBuilder("The checkpoint " + modelFile + " does not fit this model.");
            if (!missing.isEmpty()) {
                message.append("\n  missing from the checkpoint: ").append(String.join(", ", missing));
            }
            if (!unexpected.isEmpty()) {
                message.append("\n  in the checkpoint but not the model: ").append(String.join(", ", unexpected));
            }
            if (!wrongShape.isEmpty()) {
                message.append("\n  different shapes: ").append(String.join("; ", wrongShape));
            }
            throw new CheckpointException(message.toString());
        }
        for (var entry : expected.entrySet()) {
            Tensor loaded = Safetensors.read(header, header.entry(entry.getKey()));
            Tensor target = entry.getValue();
            target.detach().copy_(loaded.to(target.device(), target.scalar_type()));
        }
    }

    /** Restores weights, optimizer state and the CPU random generator from a checkpoint directory. */
    public static Map<String, Object> load(Path dir, Module module, Optimizer optimizer) {
        Map<String, Object> state = readTrainerState(dir);
        loadWeights(dir.resolve(MODEL), module);
        if (optimizer != null && Files.exists(dir.resolve(OPTIMIZER))) {
            try {
                var archive = new InputArchive();
                archive.load_from(dir.resolve(OPTIMIZER).toString());
                optimizer.load(archive);
            } catch (RuntimeException e) {
                throw new CheckpointException("Cannot restore the optimizer from " + dir.resolve(OPTIMIZER)
                        + " (was it saved with a different optimizer or model?): " + NativeErrors.firstLine(e), e);
            }
        }
        if (Files.exists(dir.resolve(RNG))) {
            var rng = Safetensors.read(dir.resolve(RNG)).get("cpu");
            if (rng != null && rng.scalar_type().intern() == ScalarType.Byte) {
                torch.getDefaultCPUGenerator().set_state(rng);
            }
        }
        return state;
    }

    private static void requireCheckpoint(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("No checkpoint at " + dir + " (expected a directory with " + MODEL + " and "
                    + TRAINER + ")");
        }
        for (String file : List.of(MODEL, TRAINER)) {
            if (!Files.isRegularFile(dir.resolve(file))) {
                throw new CheckpointException(dir + " is not a complete Kiln checkpoint: " + file + " is missing");
            }
        }
    }

    private static Path temporarySibling(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        return parent.resolve(".tmp-" + target.getFileName() + "-" + System.nanoTime());
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        Path old = null;
        if (Files.exists(target)) {
            old = target.resolveSibling(".old-" + target.getFileName() + "-" + System.nanoTime());
            Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        if (old != null) {
            deleteTree(old);
        }
    }

    public static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException ignored) {
            // best effort: a leftover temporary directory is hidden and harmless
        }
    }
}
