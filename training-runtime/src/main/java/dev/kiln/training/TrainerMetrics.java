package dev.kiln.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.MetricsRecord;

/**
 * Every metric the Trainer keeps, and the one place they are reduced across ranks and reported: what the module logs
 * (its {@link MetricLog}), the latest value of everything ({@link Trainer#callbackMetrics()}), and what callbacks add
 * to the next train line. Records go to the callbacks' {@code onMetrics}: from rank 0, plus per-rank values from
 * every rank.
 */
final class TrainerMetrics {
    private final Trainer trainer;
    private final Callback callbacks;
    private final MetricLog log = new MetricLog();
    private final Map<String, Double> latest = new LinkedHashMap<>();
    private final Map<String, Double> pendingStep = new LinkedHashMap<>();

    TrainerMetrics(Trainer trainer, Callback callbacks) {
        this.trainer = trainer;
        this.callbacks = callbacks;
    }

    /** Where the module's {@code log} calls go. */
    MetricLog log() {
        return log;
    }

    Map<String, Double> latest() {
        return Collections.unmodifiableMap(latest);
    }

    void put(String name, double value) {
        latest.put(name, value);
    }

    /** The latest metrics of a checkpoint, so a resumed run's callbacks see what the saved run saw. */
    void restore(Map<String, Double> saved) {
        latest.putAll(saved);
    }

    /** Adds a metric to the current step's train line (for callbacks such as the LR monitor). */
    void addStepMetric(String name, double value) {
        pendingStep.put(name, value);
    }

    void beginStep() {
        if (!pendingStep.isEmpty()) {
            pendingStep.clear();
        }
    }

    /** After an optimizer step: its loss and what the module logged become the latest values. */
    void endStep(double loss) {
        latest.put("loss", loss);
        log.drainLatestInto(latest);
    }

    /** The train line: window means, throughput over all ranks, and the latest training values. */
    void reportTrain(TrainLogWindow window, long reduceNanos, PrecisionPlugin precision) {
        var values = new LinkedHashMap<String, Double>();
        values.put("loss", window.meanLoss());
        values.put("samples_per_sec", window.samplesPerSecond() * trainer.worldSize());
        values.put("epoch", (double) trainer.currentEpoch());
        values.put("step", (double) trainer.globalStep());
        if (trainer.worldSize() > 1) {
            values.put("allreduce_ms", reduceNanos / 1e6);
        }
        precision.addTrainMetrics(values);
        latest.forEach((k, v) -> {
            if (!values.containsKey(k) && !k.startsWith("val") && !k.startsWith("test") && !k.endsWith("_epoch")) {
                values.put(k, v);
            }
        });
        values.putAll(pendingStep);
        report("train", values);
        window.restart();
    }

    /** Values logged with {@code logPerRank}, from every rank with its rank label. */
    void reportPerRank(String stage) {
        var perRank = log.takePerRank();
        if (!perRank.isEmpty()) {
            var record = new MetricsRecord(trainer.rank(), trainer.currentEpoch(), trainer.globalStep(), stage, perRank);
            callbacks.onMetrics(trainer, record);
        }
    }

    /** Forgets what was logged before an evaluation, so its means cover only its own batches. */
    void beginEvaluation() {
        log.takeSums();
    }

    /**
     * Ends an evaluation: the sample-weighted means over every rank's batches become the latest values and are
     * reported as {@code stage}. Every rank must call this (it is a collective).
     */
    Map<String, Double> endEvaluation(String stage, UnaryOperator<double[]> allReduceSum) {
        Map<String, Double> means = weightedMeans(log.takeSums(), allReduceSum);
        log.takeLatest(); // an evaluation's values are its means, not the last batch's
        latest.putAll(means);
        report(stage, means);
        return means;
    }

    /** Drops everything an evaluation logged (the sanity check's), reporting nothing. */
    void discardEvaluation() {
        log.clear();
    }

    /**
     * Means weighted by samples over all ranks: each rank's sums and weights are added up across ranks in one
     * all-reduce (names in sorted order, the same on every rank), then divided, so a rank with a smaller last batch
     * counts for what it holds.
     */
    static Map<String, Double> weightedMeans(Map<String, double[]> sums, UnaryOperator<double[]> allReduceSum) {
        var names = new ArrayList<>(sums.keySet());
        double[] flat = new double[names.size() * 2];
        for (int i = 0; i < names.size(); i++) {
            flat[2 * i] = sums.get(names.get(i))[0];
            flat[2 * i + 1] = sums.get(names.get(i))[1];
        }
        double[] reduced = allReduceSum.apply(flat);
        var means = new LinkedHashMap<String, Double>();
        for (int i = 0; i < names.size(); i++) {
            means.put(names.get(i), reduced[2 * i] / Math.max(reduced[2 * i + 1], 1e-12));
        }
        return means;
    }

    private void report(String stage, Map<String, Double> values) {
        if (trainer.isGlobalZero() && !values.isEmpty()) {
            callbacks.onMetrics(trainer, new MetricsRecord(0, trainer.currentEpoch(), trainer.globalStep(), stage,
                    values));
        }
    }
}
