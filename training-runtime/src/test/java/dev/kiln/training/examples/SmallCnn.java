package dev.kiln.training.examples;

import static org.bytedeco.pytorch.global.torch.max_pool2d;
import static org.bytedeco.pytorch.global.torch.relu;

import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.Conv2dImpl;
import org.bytedeco.pytorch.Conv2dOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.OptimizerConfig;

/** Two 3x3 convolutions with max pooling, then a linear classifier. */
public class SmallCnn extends ImageClassifier {
    final Conv2dImpl conv1 = register_module("conv1", new Conv2dImpl(options(1, 8)));
    final Conv2dImpl conv2 = register_module("conv2", new Conv2dImpl(options(8, 16)));
    final LinearImpl out = register_module("out", new LinearImpl(16 * 3 * 3, SyntheticImages.CLASSES));

    private static Conv2dOptions options(long in, long outChannels) {
        var options = new Conv2dOptions(in, outChannels, new LongPointer(3L, 3L));
        options.padding().put(new LongPointer(1L, 1L));
        return options;
    }

    @Override
    public Tensor forward(Tensor images) {
        Tensor x = max_pool2d(relu(conv1.forward(images)), new long[] {2, 2});
        x = max_pool2d(relu(conv2.forward(x)), new long[] {2, 2});
        return out.forward(x.flatten(1, -1));
    }

    @Override
    public OptimizerConfig configureOptimizers() {
        return OptimizerConfig.of(new Adam(parameters(), new AdamOptions(5e-3)));
    }
}
