package dev.kiln.training.callbacks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingException;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.checkpoint.CheckpointIO;

/**
 * Saves checkpoints, as Lightning's {@code ModelCheckpoint}: with a monitored metric, the best {@code saveTopK} by
 * it (after each validation); without one, the most recent {@code saveTopK} (each epoch, or every
 * {@code everyNTrainSteps} steps). {@code last} always points at the newest state, including where training stopped
 * at max steps mid-epoch. Only rank 0 writes.
 */
public final class ModelCheckpoint implements Callback {
    public enum Mode { MIN, MAX }

    private final Path dirPath;
    private final String monitor;
    private final Mode mode;
    private final int saveTopK;
    private final boolean saveLast;
    private final long everyNTrainSteps;
    private final Map<String, Double> best = new LinkedHashMap<>();
    private long lastSavedStep = -1;
    private final CheckpointRequest request;
    private String lastPath;

    private ModelCheckpoint(Builder b) {
        this.dirPath = b.dirPath;
        this.monitor = b.monitor;
        this.mode = b.mode;
        this.saveTopK = b.saveTopK;
        this.saveLast = b.saveLast;
        this.request = b.requestFile != null ? new CheckpointRequest(b.requestFile) : CheckpointRequest.fromEnvironment();
        this.everyNTrainSteps = b.everyNTrainSteps;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Path dir(Trainer trainer) {
        return dirPath != null ? dirPath : trainer.rootDir().resolve("checkpoints");
    }

    /** The best checkpoint so far (by the monitor, or the newest), or null. */
    public Path bestPath() {
        return best.entrySet().stream().min(Map.Entry.comparingByValue(order())).map(e -> Path.of(e.getKey()))
                .orElse(null);
    }

    public Path lastPath() {
        return lastPath == null ? null : Path.of(lastPath);
    }

    @Override
    public void onValidationEnd(Trainer trainer, TrainingModule module) {
        if (trainer.isSanityCheck() || monitor == null) {
            return;
        }
        Double value = trainer.callbackMetrics().get(monitor);
        if (value == null) {
            throw new TrainingException("ModelCheckpoint monitors '" + monitor + "', but validation logged only "
                    + trainer.callbackMetrics().keySet() + ". Log it in validationStep or change the monitor.");
        }
        save(trainer, value);
    }

    @Override
    public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
        if (everyNTrainSteps > 0 && trainer.globalStep() % everyNTrainSteps == 0) {
            save(trainer, scoreWithoutValidation(trainer));
        }
        if (request != null && trainer.isGlobalZero() && request.pending()) {
            // The machine is about to stop or move: keep every step done so far.
            if (lastSavedStep != trainer.globalStep()) {
                writeLast(trainer, null);
            }
            request.answer(trainer.globalStep());
        }
    }

    @Override
    public void onTrainEpochEnd(Trainer trainer, TrainingModule module) {
        if (everyNTrainSteps == 0 && (monitor == null || !trainer.hasValidation())) {
            save(trainer, scoreWithoutValidation(trainer));
        }
    }

    @Override
    public void onFitEnd(Trainer trainer, TrainingModule module) {
        if (saveLast && lastSavedStep != trainer.globalStep()) {
            writeLast(trainer, null);
        }
        if (request != null && trainer.isGlobalZero() && request.waiting()) {
            request.answer(trainer.globalStep());
        }
    }

    private Double scoreWithoutValidation(Trainer trainer) {
        // Without a monitored metric, newer is better: keep the most recent saveTopK.
        return monitor == null ? -(double) trainer.globalStep() : trainer.callbackMetrics().get(monitor);
    }

    private void save(Trainer trainer, Double score) {
        if (lastSavedStep == trainer.globalStep() || trainer.isFastDevRun()) {
            return;
        }
        lastSavedStep = trainer.globalStep();
        Path saved = null;
        if (saveTopK != 0 && score != null && qualifies(score)) {
            String name = "epoch=" + trainer.currentEpoch() + "-step=" + trainer.globalStep()
                    + (monitor == null ? "" : "-" + monitor + "=" + String.format("%.4f", score));
            saved = dir(trainer).resolve(name);
            trainer.saveCheckpoint(saved);
            best.put(saved.toString(), score);
            prune(trainer);
        }
        writeLast(trainer, saved);
    }

    private void writeLast(Trainer trainer, Path justSaved) {
        if (!saveLast || trainer.isFastDevRun()) {
            return;
        }
        lastSavedStep = trainer.globalStep();
        Path last = dir(trainer).resolve("last");
        if (justSaved != null && trainer.isGlobalZero()) {
            try {
                CheckpointIO.linkCopy(justSaved, last);
                trainer.event("checkpoint", Map.of("path", last.toString(), "step", trainer.globalStep()));
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot update " + last + ": " + e.getMessage(), e);
            }
        } else {
            trainer.saveCheckpoint(last);
        }
        lastPath = last.toString();
    }

    private boolean qualifies(double score) {
        if (saveTopK < 0 || best.size() < saveTopK) {
            return true;
        }
        double worst = best.values().stream().max(order()).orElseThrow();
        return order().compare(score, worst) < 0;
    }

    private void prune(Trainer trainer) {
        if (saveTopK < 0) {
            return;
        }
        List<Map.Entry<String, Double>> ranked = new ArrayList<>(best.entrySet());
        ranked.sort(Map.Entry.comparingByValue(order()));
        for (var drop : ranked.subList(Math.min(saveTopK, ranked.size()), ranked.size())) {
            best.remove(drop.getKey());
            if (trainer.isGlobalZero()) {
                CheckpointIO.deleteTree(Path.of(drop.getKey()));
            }
        }
    }

    private Comparator<Double> order() {
        return mode == Mode.MIN ? Comparator.naturalOrder() : Comparator.reverseOrder();
    }

    @Override
    public String stateKey() {
        return "ModelCheckpoint[" + (monitor == null ? "" : monitor) + "]";
    }

    @Override
    public Map<String, Object> stateDict() {
        var state = new LinkedHashMap<String, Object>();
        state.put("best", new LinkedHashMap<>(best));
        state.put("lastPath", lastPath);
        return state;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void loadStateDict(Map<String, Object> state) {
        best.clear();
        ((Map<String, Number>) state.getOrDefault("best", Map.of())).forEach((k, v) -> best.put(k, v.doubleValue()));
        lastPath = (String) state.get("lastPath");
    }

    public static final class Builder {
        private Path dirPath;
        private String monitor;
        private Mode mode = Mode.MIN;
        private int saveTopK = 1;
        private boolean saveLast = true;
        private long everyNTrainSteps;
        private Path requestFile;

        /**
         * A file whose appearance asks for {@code last} at the current step, answered in {@code <file>.done}
         * (default: the one {@code KILN_CHECKPOINT_REQUEST} names; Kiln's agent sets it before a machine stops).
         */
        public Builder checkpointRequestFile(Path file) {
            this.requestFile = file;
            return this;
        }

        public Builder dirPath(Path dirPath) {
            this.dirPath = dirPath;
            return this;
        }

        public Builder monitor(String monitor, Mode mode) {
            this.monitor = monitor;
            this.mode = mode;
            return this;
        }

        /** How many to keep; -1 keeps all, 0 keeps only {@code last}. */
        public Builder saveTopK(int saveTopK) {
            this.saveTopK = saveTopK;
            return this;
        }

        public Builder saveLast(boolean saveLast) {
            this.saveLast = saveLast;
            return this;
        }

        public Builder everyNTrainSteps(long steps) {
            this.everyNTrainSteps = steps;
            return this;
        }

        public ModelCheckpoint build() {
            return new ModelCheckpoint(this);
        }
    }
}
