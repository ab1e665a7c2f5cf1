package dev.kiln.training.examples;

import static org.bytedeco.pytorch.global.torch.cross_entropy;

import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.TrainingModule;

/** The steps every classifier of {@link SyntheticImages} shares; subclasses give the network and optimizer. */
public abstract class ImageClassifier extends TrainingModule {
    public abstract Tensor forward(Tensor images);

    @Override
    public Tensor trainingStep(Batch batch, long batchIdx) {
        return cross_entropy(forward(batch.x()), batch.y());
    }

    @Override
    public void validationStep(Batch batch, long batchIdx) {
        Tensor logits = forward(batch.x());
        log("val_loss", cross_entropy(logits, batch.y()).item_double(), batch.size());
        log("val_acc", Accuracy.of(logits, batch.y()), batch.size());
    }

    @Override
    public void testStep(Batch batch, long batchIdx) {
        log("test_acc", Accuracy.of(forward(batch.x()), batch.y()), batch.size());
    }
}
