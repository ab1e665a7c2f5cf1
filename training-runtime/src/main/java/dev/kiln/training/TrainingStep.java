package dev.kiln.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.runtime.NativeErrors;
import dev.kiln.training.runtime.Tensors;

/**
 * Lightning's automatic optimization for one batch: the training step under the precision's forward context, the
 * checks on its loss, backward (divided over an accumulation group), and at the end of a group the optimizer step
 * through the precision plugin. Small methods, so the JIT compiles each whole.
 */
final class TrainingStep {
    private final LoopContext run;
    private final Optimizer optimizer;
    private final PrecisionPlugin precision;
    private final List<Tensor> parameters;
    private final int accumulate;
    private final Runnable beforeStep;
    private long skippedNonFinite;

    TrainingStep(LoopContext run, Optimizer optimizer) {
        this.run = run;
        this.optimizer = optimizer;
        this.precision = run.precision();
        this.parameters = trainableParameters(run.module());
        this.accumulate = run.config().accumulateGradBatches();
        this.beforeStep = () -> run.callbacks().onBeforeOptimizerStep(run.trainer(), run.module(), optimizer);
    }

    int accumulate() {
        return accumulate;
    }

    /** Non-finite losses skipped under {@link NanPolicy#SKIP_BATCH}. */
    long skippedNonFinite() {
        return skippedNonFinite;
    }

    /** Forward, loss checks and backward of one batch. Returns the loss value (non-finite when it was skipped). */
    double forwardBackward(Batch batch, long batchIdx) {
        Tensor loss;
        try (var autocast = precision.forwardContext()) {
            loss = run.module().trainingStep(batch, batchIdx);
        }
        checkLoss(loss);
        double value = loss.item_double();
        if (!Double.isFinite(value)) {
            skipNonFinite(value, batchIdx);
            return value;
        }
        Tensor scaled = precision.backwardLoss(accumulate > 1 ? loss.div(new Scalar(accumulate)) : loss);
        try {
            scaled.backward();
        } catch (RuntimeException e) {
            throw new TrainingException("Backward pass failed at step " + run.trainer().globalStep() + ": "
                    + NativeErrors.firstLine(e), e);
        }
        return value;
    }

    /** The optimizer step of an accumulation group: reduce across ranks, then the precision's step, then zero. */
    void optimizerStep() {
        run.strategy().reduceGradients(parameters);
        precision.optimizerStep(optimizer, parameters, beforeStep);
        optimizer.zero_grad(true);
    }

    private void skipNonFinite(double value, long batchIdx) {
        if (run.config().nanPolicy() == NanPolicy.STOP) {
            Double last = run.metrics().latest().get("loss");
            throw new TrainingException("The loss is " + value + " at epoch " + run.trainer().currentEpoch()
                    + ", step " + run.trainer().globalStep() + " (batch " + batchIdx + ")" + (last == null ? ""
                    : "; the last finite loss was " + String.format("%.6g", last)) + ". Lower the learning rate, "
                    + "enable gradient clipping (gradientClipVal), check the data for NaNs, or set "
                    + "nanPolicy(SKIP_BATCH) to skip such batches.");
        }
        skippedNonFinite++;
        if (skippedNonFinite == 1 || skippedNonFinite % 100 == 0) {
            System.err.println("kiln: skipped " + skippedNonFinite + " batch(es) with a non-finite loss (nanPolicy="
                    + "SKIP_BATCH)");
        }
        // Contribute zero gradients so that DDP ranks stay in step.
        optimizer.zero_grad(false);
    }

    private void checkLoss(Tensor loss) {
        if (loss == null || loss.isNull() || !loss.defined()) {
            throw new TrainingException("trainingStep returned no loss at step " + run.trainer().globalStep()
                    + ": return the loss tensor, for example cross_entropy(logits, batch.y()).");
        }
        if (loss.numel() != 1) {
            throw new TrainingException("trainingStep must return a single-value loss, but it returned shape "
                    + Arrays.toString(Tensors.shape(loss)) + ": reduce it, for example with .mean().");
        }
        if (!loss.requires_grad()) {
            throw new TrainingException("The loss from trainingStep has no gradient: it does not depend on any "
                    + "trainable parameter (computed under NoGradGuard, detached, or from parameters with "
                    + "requires_grad off), so there is nothing to train.");
        }
    }

    private static List<Tensor> trainableParameters(TrainingModule module) {
        var list = new ArrayList<Tensor>();
        var params = module.parameters();
        for (long i = 0; i < params.size(); i++) {
            Tensor p = Tensors.own(params.get(i));
            if (p.requires_grad()) {
                list.add(p);
            }
        }
        return list;
    }
}
