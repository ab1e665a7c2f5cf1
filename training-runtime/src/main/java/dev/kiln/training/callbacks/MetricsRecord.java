package dev.kiln.training.callbacks;

import java.util.Map;

/** Metrics for one point in training: which rank, epoch and optimizer step they belong to. */
public record MetricsRecord(int rank, int epoch, long step, String stage, Map<String, Double> values) {
    public MetricsRecord {
        values = Map.copyOf(values);
    }
}
