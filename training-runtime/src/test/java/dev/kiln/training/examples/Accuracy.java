package dev.kiln.training.examples;

import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

final class Accuracy {
    private Accuracy() {}

    static double of(Tensor logits, Tensor labels) {
        return logits.argmax(new LongOptional(1), false).eq(labels).to(ScalarType.Float).mean().item_double();
    }
}
