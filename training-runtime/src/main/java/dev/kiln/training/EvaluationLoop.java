package dev.kiln.training;

import java.util.Map;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.NoGradGuard;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.Stage;

/**
 * Validation and test, as Lightning's evaluation loop: the module's validation or test step over a loader, in eval
 * mode without gradients, the means over all ranks reported and kept in the callback metrics. Also runs the sanity
 * check before training.
 */
final class EvaluationLoop {
    private final LoopContext run;
    private boolean sanityChecking;

    EvaluationLoop(LoopContext run) {
        this.run = run;
    }

    boolean isSanityChecking() {
        return sanityChecking;
    }

    /** One pass over {@code loader} (one batch in a fast dev run). Every rank must run it: the means are reduced. */
    Map<String, Double> run(DataLoader loader, Stage stage) {
        boolean validate = stage == Stage.VALIDATE;
        if (validate) {
            run.callbacks().onValidationStart(run.trainer(), run.module());
        } else {
            run.callbacks().onTestStart(run.trainer(), run.module());
        }
        run.metrics().beginEvaluation();
        runBatches(loader, validate, run.config().fastDevRun() ? 1 : Long.MAX_VALUE);
        Map<String, Double> means = run.metrics().endEvaluation(validate ? "validate" : "test",
                run.strategy()::allReduceSum);
        if (validate) {
            run.callbacks().onValidationEnd(run.trainer(), run.module());
        } else {
            run.callbacks().onTestEnd(run.trainer(), run.module());
        }
        return means;
    }

    /**
     * Lightning's sanity check: the first {@code batches} validation batches before training, so a broken validation
     * step fails in seconds rather than after an epoch. Callbacks see it as a validation with
     * {@link Trainer#isSanityCheck()} true. What it logs is dropped, not reported, and the CPU generator is put back
     * afterwards, so training draws the same random numbers as without it (resumes stay bit-exact).
     */
    void sanityCheck(DataLoader val, long batches) {
        Generator generator = torch.getDefaultCPUGenerator();
        Tensor rng = generator.get_state();
        sanityChecking = true;
        try {
            run.callbacks().onValidationStart(run.trainer(), run.module());
            run.metrics().beginEvaluation();
            runBatches(val, true, batches);
            run.metrics().discardEvaluation();
            run.callbacks().onValidationEnd(run.trainer(), run.module());
        } finally {
            sanityChecking = false;
            generator.set_state(rng);
        }
    }

    private void runBatches(DataLoader loader, boolean validate, long limit) {
        TrainingModule module = run.module();
        module.train(false);
        try (var noGrad = new NoGradGuard(); DataLoader.Batches batches = loader.epoch(0, 0)) {
            while (batches.hasNext() && batches.position() < limit) {
                long batchIdx = batches.position();
                try (var scope = new PointerScope()) {
                    Batch batch = run.toDevice(batches.next());
                    try (var autocast = run.precision().forwardContext()) {
                        if (validate) {
                            module.validationStep(batch, batchIdx);
                        } else {
                            module.testStep(batch, batchIdx);
                        }
                    }
                }
            }
        } finally {
            module.train(true);
        }
    }
}
