package example;

import java.util.Map;
import java.util.Random;

import dev.kiln.training.Batch;
import dev.kiln.training.OptimizerConfig;
import dev.kiln.training.TrainerDefaults;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.Dataset;
import dev.kiln.training.data.ShardedDataset;
import dev.kiln.training.data.Stage;
import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.runtime.Tensors;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

import static org.bytedeco.pytorch.global.torch.mse_loss;
import static org.bytedeco.pytorch.global.torch.relu;

/**
 * A small network that learns y = sum(x) from random inputs, with Kiln's Trainer (libtorch underneath).
 * Run it from the Jobs tab: entry point example.SumRegression, 1 or more devices (processes, wired for DDP).
 * Arguments: samples=4096 (training set size), lr=0.005; data=s3://bucket/prepared/sums (or a folder on the machine)
 * trains on shards written by example.PrepareData instead of random inputs (features must number 16).
 * It trains for 5 epochs (about 320 steps, seconds on one core) unless the job says otherwise, for example
 * --trainer.max-epochs=20; checkpoints go to checkpoints/ in the job's folder on the machine.
 */
@TrainerDefaults({"max-epochs=5"})
public class SumRegression extends TrainingModule implements DataModule {
    static final int FEATURES = 16;

    final LinearImpl hidden = register_module("hidden", new LinearImpl(FEATURES, 32));
    final LinearImpl out = register_module("out", new LinearImpl(32, 1));
    private final int samples;
    private final double lr;
    private final String data;
    private Dataset train;
    private Dataset val;

    public SumRegression(Map<String, String> args) {
        this.samples = Integer.parseInt(args.getOrDefault("samples", "4096"));
        this.lr = Double.parseDouble(args.getOrDefault("lr", "0.005"));
        this.data = args.get("data");
    }

    Tensor forward(Tensor x) {
        return out.forward(relu(hidden.forward(x)));
    }

    @Override
    public Tensor trainingStep(Batch batch, long batchIdx) {
        return mse_loss(forward(batch.x()), batch.y());
    }

    @Override
    public void validationStep(Batch batch, long batchIdx) {
        log("val_loss", mse_loss(forward(batch.x()), batch.y()).item_double(), batch.size());
    }

    @Override
    public OptimizerConfig configureOptimizers() {
        return OptimizerConfig.of(new Adam(parameters(), new AdamOptions(lr)));
    }

    @Override
    public void setup(Stage stage) {
        if (train == null) {
            train = data == null ? data(samples, 1) : ShardedDataset.open(data);
            val = data(512, 2);
        }
    }

    @Override
    public DataLoader trainLoader() {
        return DataLoader.builder(train).batchSize(64).shuffle(true).seed(7).build();
    }

    @Override
    public DataLoader valLoader() {
        return DataLoader.builder(val).batchSize(256).build();
    }

    static TensorDataset data(int count, long seed) {
        var random = new Random(seed);
        float[] x = new float[count * FEATURES];
        float[] y = new float[count];
        for (int n = 0; n < count; n++) {
            for (int f = 0; f < FEATURES; f++) {
                x[n * FEATURES + f] = (float) random.nextGaussian();
                y[n] += x[n * FEATURES + f];
            }
        }
        return new TensorDataset(Tensors.fromFloats(x, count, FEATURES), Tensors.fromFloats(y, count, 1));
    }
}
