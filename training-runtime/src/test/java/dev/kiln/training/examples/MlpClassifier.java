package dev.kiln.training.examples;

import static org.bytedeco.pytorch.global.torch.relu;

import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.DropoutImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.OptimizerConfig;
import dev.kiln.training.optim.LrScheduler;
import dev.kiln.training.optim.StepLr;

/** A two-layer perceptron over the flattened image, with dropout, Adam and a step LR schedule. */
public class MlpClassifier extends ImageClassifier {
    final LinearImpl hidden = register_module("hidden", new LinearImpl(SyntheticImages.SIZE * SyntheticImages.SIZE, 64));
    final DropoutImpl dropout = register_module("dropout", new DropoutImpl(0.1));
    final LinearImpl out = register_module("out", new LinearImpl(64, SyntheticImages.CLASSES));
    /** Training steps taken, for tests that misbehave at a given step. */
    public int calls;

    @Override
    public Tensor forward(Tensor images) {
        return out.forward(dropout.forward(relu(hidden.forward(images.flatten(1, -1)))));
    }

    @Override
    public OptimizerConfig configureOptimizers() {
        var adam = new Adam(parameters(), new AdamOptions(5e-3));
        return OptimizerConfig.of(adam, new StepLr(adam, 100, 0.5, LrScheduler.Interval.STEP));
    }
}
