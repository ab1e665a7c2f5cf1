package dev.kiln.training;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.Tensor;

/**
 * A model and how to train it, as Lightning's {@code LightningModule}: a libtorch {@link Module} (register layers
 * with {@code register_module} as usual) plus a training step that returns the loss, optional validation and test
 * steps, and its optimizers. Call {@link #log} from any step to record a metric.
 */
public abstract class TrainingModule extends Module {
    private MetricLog metricLog;
    private Trainer trainer;

    /** The loss of one batch; the Trainer runs backward and the optimizer. */
    public abstract Tensor trainingStep(Batch batch, long batchIdx);

    /** Evaluates one validation batch; log what you measure (for example {@code log("val_loss", ...)}). */
    public void validationStep(Batch batch, long batchIdx) {}

    public void testStep(Batch batch, long batchIdx) {}

    public abstract OptimizerConfig configureOptimizers();

    /** Records a metric. In training it is reported as is; in validation and test, averaged over the batches. */
    protected final void log(String name, double value) {
        log(name, value, 1);
    }

    /** As {@link #log(String, double)}, weighting the average by the number of samples it covers. */
    protected final void log(String name, double value, long samples) {
        if (metricLog != null) {
            metricLog.record(name, value, samples, false);
        }
    }

    protected final void log(String name, Tensor value) {
        log(name, value.item_double(), 1);
    }

    /** A metric every rank reports with its rank label (others' {@link #log} values come from rank 0 only). */
    protected final void logPerRank(String name, double value) {
        if (metricLog != null) {
            metricLog.record(name, value, 1, true);
        }
    }

    /** The running Trainer (null outside fit/validate/test), for its step, epoch, rank and device. */
    protected final Trainer trainer() {
        return trainer;
    }

    /** The device the model was placed on. */
    public Device device() {
        return trainer == null ? new Device("cpu") : trainer.device();
    }

    final boolean overridesValidationStep() {
        try {
            return getClass().getMethod("validationStep", Batch.class, long.class).getDeclaringClass()
                    != TrainingModule.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    final boolean overridesTestStep() {
        try {
            return getClass().getMethod("testStep", Batch.class, long.class).getDeclaringClass() != TrainingModule.class;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    final void attach(Trainer trainer, MetricLog metricLog) {
        this.trainer = trainer;
        this.metricLog = metricLog;
    }
}
