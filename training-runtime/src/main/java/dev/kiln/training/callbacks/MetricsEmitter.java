package dev.kiln.training.callbacks;

import java.util.Map;

import dev.kiln.training.Trainer;
import dev.kiln.training.metrics.MetricsSink;

/** Writes every metric record and event to the metrics channel as JSON lines, for the studio's live charts. */
public final class MetricsEmitter implements Callback, AutoCloseable {
    private final MetricsSink sink;

    public MetricsEmitter(MetricsSink sink) {
        this.sink = sink;
    }

    @Override
    public void onMetrics(Trainer trainer, MetricsRecord record) {
        sink.metrics(record.rank(), record.epoch(), record.step(), record.stage(), record.values());
    }

    @Override
    public void onEvent(Trainer trainer, String event, Map<String, Object> data) {
        // Failures are reported by every rank (the failing one knows why); the rest by rank 0 only.
        if (trainer.isGlobalZero() || event.endsWith("_failed")) {
            sink.event(trainer.rank(), event, data);
        }
    }

    @Override
    public void close() {
        sink.close();
    }
}
