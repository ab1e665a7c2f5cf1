package dev.kiln.training.notebook;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.callbacks.Callback;
import dev.kiln.training.callbacks.MetricsRecord;

/**
 * {@link Notebook#liveTraining()}: while {@code trainer.fit(...)} runs, a progress bar of the batches (with the last
 * loss) and a live chart of every metric the module logs (loss, val_loss...), updated in place in the cell's output.
 */
final class LiveTraining implements Callback {
    private LineChart chart;
    private Progress progress;

    @Override
    public void onFitStart(Trainer trainer, TrainingModule module) {
        if (!trainer.isGlobalZero()) {
            return;
        }
        progress = Notebook.progress("training", Math.max(1, trainer.batchesPerEpoch()) * Math.max(1, trainer.maxEpochs()));
        chart = Notebook.chart("training");
    }

    @Override
    public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
        if (progress != null) {
            long perEpoch = Math.max(1, trainer.batchesPerEpoch());
            if (trainer.maxEpochs() > 0) {
                progress.total(perEpoch * trainer.maxEpochs());
            }
            progress.update(trainer.currentEpoch() * perEpoch + batchIdx + 1, String.format("epoch %d, loss %.4f",
                    trainer.currentEpoch() + 1, loss));
        }
    }

    @Override
    public void onMetrics(Trainer trainer, MetricsRecord record) {
        if (chart != null && record.rank() == 0) {
            record.values().forEach((name, value) -> {
                if (Double.isFinite(value) && !name.equals("epoch") && !name.equals("step")) {
                    chart.add(name, record.step(), value);
                }
            });
        }
    }

    @Override
    public void onFitEnd(Trainer trainer, TrainingModule module) {
        if (chart != null) {
            chart.flush();
        }
        if (progress != null) {
            progress.update(progress.value(), "done");
            Notebook.update(progress);
        }
    }
}
