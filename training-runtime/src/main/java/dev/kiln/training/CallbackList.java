package dev.kiln.training;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bytedeco.pytorch.Optimizer;

import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.LearningRateMonitor;
import dev.kiln.training.callbacks.MetricsEmitter;
import dev.kiln.training.callbacks.MetricsRecord;
import dev.kiln.training.callbacks.ModelCheckpoint;
import dev.kiln.training.callbacks.ProgressBar;
import dev.kiln.training.metrics.MetricsSink;

/**
 * A Trainer's callbacks in call order, called as one. {@link #withDefaults} is the one place the defaults are
 * chosen. The emitter stays last so every metric and event the others add reaches the metrics channel.
 */
final class CallbackList implements Callback, AutoCloseable {
    private final List<Callback> all = new ArrayList<>();

    /**
     * A {@link ModelCheckpoint} unless one is given, checkpointing is off or this is a fast dev run; the LR monitor;
     * a progress bar when asked for; the user's callbacks; the {@link MetricsEmitter}.
     */
    static CallbackList withDefaults(TrainerConfig config) {
        var list = new CallbackList();
        if (!config.fastDevRun() && config.checkpointing()
                && config.callbacks().stream().noneMatch(c -> c instanceof ModelCheckpoint)) {
            list.all.add(ModelCheckpoint.builder().build());
        }
        list.all.add(new LearningRateMonitor());
        if (config.progressBar()) {
            list.all.add(new ProgressBar(System.err));
        }
        list.all.addAll(config.callbacks());
        list.all.add(new MetricsEmitter(MetricsSink.open(config.metricsChannel(), config.out())));
        return list;
    }

    /** Adds callbacks after the others, before the emitter. */
    void add(List<Callback> more) {
        all.addAll(all.size() - 1, more);
    }

    List<Callback> asList() {
        return Collections.unmodifiableList(all);
    }

    /** Each callback's non-empty state under its key, for a checkpoint. */
    Map<String, Map<String, Object>> stateDicts() {
        var states = new LinkedHashMap<String, Map<String, Object>>();
        for (Callback callback : all) {
            var dict = callback.stateDict();
            if (!dict.isEmpty()) {
                states.put(callback.stateKey(), dict);
            }
        }
        return states;
    }

    void loadStateDicts(Map<String, Map<String, Object>> saved) {
        for (Callback callback : all) {
            var dict = saved.get(callback.stateKey());
            if (dict != null) {
                callback.loadStateDict(dict);
            }
        }
    }

    @Override
    public void onFitStart(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onFitStart(trainer, module);
        }
    }

    @Override
    public void onFitEnd(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onFitEnd(trainer, module);
        }
    }

    @Override
    public void onTrainEpochStart(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onTrainEpochStart(trainer, module);
        }
    }

    @Override
    public void onTrainEpochEnd(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onTrainEpochEnd(trainer, module);
        }
    }

    @Override
    public void onTrainBatchStart(Trainer trainer, TrainingModule module, Batch batch, long batchIdx) {
        for (Callback c : all) {
            c.onTrainBatchStart(trainer, module, batch, batchIdx);
        }
    }

    @Override
    public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
        for (Callback c : all) {
            c.onTrainBatchEnd(trainer, module, loss, batchIdx);
        }
    }

    @Override
    public void onBeforeOptimizerStep(Trainer trainer, TrainingModule module, Optimizer optimizer) {
        for (Callback c : all) {
            c.onBeforeOptimizerStep(trainer, module, optimizer);
        }
    }

    @Override
    public void onValidationStart(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onValidationStart(trainer, module);
        }
    }

    @Override
    public void onValidationEnd(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onValidationEnd(trainer, module);
        }
    }

    @Override
    public void onTestStart(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onTestStart(trainer, module);
        }
    }

    @Override
    public void onTestEnd(Trainer trainer, TrainingModule module) {
        for (Callback c : all) {
            c.onTestEnd(trainer, module);
        }
    }

    @Override
    public void onMetrics(Trainer trainer, MetricsRecord record) {
        for (Callback c : all) {
            c.onMetrics(trainer, record);
        }
    }

    @Override
    public void onEvent(Trainer trainer, String event, Map<String, Object> data) {
        for (Callback c : all) {
            c.onEvent(trainer, event, data);
        }
    }

    @Override
    public void onException(Trainer trainer, TrainingModule module, Throwable error) {
        for (Callback c : all) {
            c.onException(trainer, module, error);
        }
    }

    /** Closes the callbacks that hold resources (the emitter's channel); a failure is reported, not thrown. */
    @Override
    public void close() {
        for (Callback callback : all) {
            if (callback instanceof AutoCloseable closeable) {
                try {
                    closeable.close();
                } catch (Exception e) {
                    System.err.println("kiln: closing " + callback.stateKey() + " failed: " + e.getMessage());
                }
            }
        }
    }
}
