package dev.kiln.benchmarks.training;

import static org.bytedeco.pytorch.global.torch.cross_entropy;
import static org.bytedeco.pytorch.global.torch.relu;

import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.OptimizerConfig;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.runtime.Tensors;

/** The benchmark model: a 784-64-32-10 MLP with SGD, batch 64, on random in-memory data (speed, not learning). */
public class BenchMlp extends TrainingModule implements DataModule {
    static final int BATCH = 64;
    static final int ROWS = BATCH * 256;

    final LinearImpl fc1 = register_module("fc1", new LinearImpl(784, 64));
    final LinearImpl fc2 = register_module("fc2", new LinearImpl(64, 32));
    final LinearImpl fc3 = register_module("fc3", new LinearImpl(32, 10));
    private TensorDataset data;

    public Tensor forward(Tensor x) {
        return fc3.forward(relu(fc2.forward(relu(fc1.forward(x)))));
    }

    @Override
    public Tensor trainingStep(Batch batch, long batchIdx) {
        return cross_entropy(forward(batch.x()), batch.y());
    }

    @Override
    public OptimizerConfig configureOptimizers() {
        return OptimizerConfig.of(new SGD(parameters(), new SGDOptions(0.01)));
    }

    private static TensorDataset shared;

    /** The same random rows for every caller in this JVM (generated once, outside any timing). */
    static synchronized TensorDataset randomData() {
        if (shared == null) {
            shared = generate();
        }
        return shared;
    }

    private static TensorDataset generate() {
        var random = new java.util.Random(1);
        float[] x = new float[ROWS * 784];
        long[] y = new long[ROWS];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < ROWS; i++) {
            y[i] = random.nextInt(10);
        }
        return new TensorDataset(Tensors.fromFloats(x, ROWS, 784), Tensors.fromLongs(y, ROWS));
    }

    @Override
    public DataLoader trainLoader() {
        if (data == null) {
            data = randomData();
        }
        return DataLoader.builder(data).batchSize(BATCH).shuffle(true).seed(1).build();
    }
}
