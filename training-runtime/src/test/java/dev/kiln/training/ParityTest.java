package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.pytorch.global.torch.cross_entropy;
import static org.bytedeco.pytorch.global.torch.relu;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Function;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.Adam;
import org.bytedeco.pytorch.AdamOptions;
import org.bytedeco.pytorch.DropoutImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Optimizer;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.Sampler;
import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.examples.SyntheticImages;

/**
 * The Trainer adds nothing to the arithmetic: N steps of it and N steps of the loop a libtorch user writes by hand,
 * from the same seed, end with bit-identical weights. 32-true on the CPU runs the same ops on the same values in the
 * same order, so no tolerance is needed. The model has dropout (the random stream must line up) and a validation
 * step, so the Trainer's sanity check and its validations run in between and must change nothing.
 */
class ParityTest {
    private static final long SEED = 11;
    private static final int STEPS = 40; // 512 samples / 32 = 16 batches per epoch: N ends inside the third epoch
    private static final int BATCH = 32;
    private static final long SHUFFLE_SEED = 5;

    @TempDir
    Path dir;

    /** A small MLP with dropout; the optimizer is the test's choice. */
    static final class Net extends TrainingModule implements DataModule {
        final LinearImpl hidden = register_module("hidden", new LinearImpl(SyntheticImages.SIZE * SyntheticImages.SIZE, 32));
        final DropoutImpl dropout = register_module("dropout", new DropoutImpl(0.2));
        final LinearImpl out = register_module("out", new LinearImpl(32, SyntheticImages.CLASSES));
        private final Function<Net, Optimizer> optimizer;
        private final TensorDataset train = SyntheticImages.generate(512, 1);
        private final TensorDataset val = SyntheticImages.generate(256, 2);

        Net(Function<Net, Optimizer> optimizer) {
            this.optimizer = optimizer;
        }

        Tensor forward(Tensor x) {
            return out.forward(dropout.forward(relu(hidden.forward(x.flatten(1, -1)))));
        }

        @Override
        public Tensor trainingStep(Batch batch, long batchIdx) {
            return cross_entropy(forward(batch.x()), batch.y());
        }

        @Override
        public void validationStep(Batch batch, long batchIdx) {
            log("val_loss", cross_entropy(forward(batch.x()), batch.y()).item_double(), batch.size());
        }

        @Override
        public OptimizerConfig configureOptimizers() {
            return OptimizerConfig.of(optimizer.apply(this));
        }

        @Override
        public DataLoader trainLoader() {
            return DataLoader.builder(train).batchSize(BATCH).shuffle(true).seed(SHUFFLE_SEED).build();
        }

        @Override
        public DataLoader valLoader() {
            return DataLoader.builder(val).batchSize(64).build();
        }
    }

    private static final Function<Net, Optimizer> ADAM = net -> new Adam(net.parameters(), new AdamOptions(5e-3));
    private static final Function<Net, Optimizer> SGD_MOMENTUM = net -> {
        var options = new SGDOptions(0.05);
        options.momentum().put(0.9);
        return new SGD(net.parameters(), options);
    };

    @Test
    void adamStepsMatchAHandWrittenLoopBitForBit() {
        Net byTrainer = trainer(ADAM, 1, 0);
        Net byHand = handLoop(ADAM, 1, 0);
        assertIdentical(byTrainer, byHand);
    }

    @Test
    void accumulationAndClippingMatchTheHandWrittenEquivalent() {
        Net byTrainer = trainer(SGD_MOMENTUM, 2, 0.5);
        Net byHand = handLoop(SGD_MOMENTUM, 2, 0.5);
        assertIdentical(byTrainer, byHand);
    }

    private Net trainer(Function<Net, Optimizer> optimizer, int accumulate, double clip) {
        try (var trainer = ExamplesLearnTest.quiet(dir).seed(SEED).maxSteps(STEPS).accumulateGradBatches(accumulate)
                .gradientClipVal(clip).checkpointing(false).build()) {
            var net = new Net(optimizer); // after build(), which seeds: the initial weights come from SEED
            trainer.fit(net, net);
            assertThat(trainer.globalStep()).isEqualTo(STEPS);
            assertThat(trainer.callbackMetrics()).containsKey("val_loss"); // validation really ran in between
            return net;
        }
    }

    /**
     * What a libtorch user writes: seed, build the model, shuffle each epoch, forward, backward (divided over the
     * accumulation group), clip, step. The seed is set again before the loop because the Trainer seeds at build and
     * at the start of fit, as Lightning's seed_everything does.
     */
    private static Net handLoop(Function<Net, Optimizer> makeOptimizer, int accumulate, double clip) {
        torch.manual_seed(SEED);
        var net = new Net(makeOptimizer);
        Optimizer optimizer = makeOptimizer.apply(net);
        var parameters = new ArrayList<Tensor>();
        for (long i = 0; i < net.parameters().size(); i++) {
            parameters.add(net.parameters().get(i));
        }
        torch.manual_seed(SEED);
        net.train(true);
        long size = net.train.size();
        int batches = (int) ((size + BATCH - 1) / BATCH);
        int steps = 0;
        for (int epoch = 0; steps < STEPS; epoch++) {
            long[] order = Sampler.shuffled(SHUFFLE_SEED, 0).indices(size, epoch);
            for (int b = 0; b < batches && steps < STEPS; b++) {
                try (var scope = new PointerScope()) {
                    Batch batch = net.train.get(Arrays.copyOfRange(order, b * BATCH, (int) Math.min(size, (b + 1) * BATCH)));
                    Tensor loss = cross_entropy(net.forward(batch.x()), batch.y());
                    (accumulate > 1 ? loss.div(new Scalar(accumulate)) : loss).backward();
                    if ((b + 1) % accumulate != 0 && b + 1 < batches) {
                        continue;
                    }
                    if (clip > 0) {
                        torch.clip_grad_norm_(new TensorVector(parameters.toArray(new Tensor[0])), clip);
                    }
                    optimizer.step();
                    optimizer.zero_grad(true);
                    steps++;
                }
            }
        }
        return net;
    }

    private static void assertIdentical(Net byTrainer, Net byHand) {
        Map<String, Tensor> trained = CheckpointIO.stateDict(byTrainer);
        Map<String, Tensor> hand = CheckpointIO.stateDict(byHand);
        assertThat(trained.keySet()).isEqualTo(hand.keySet());
        for (String name : trained.keySet()) {
            assertThat(ResumeTest.maxDifference(trained.get(name), hand.get(name))).as(name).isZero();
        }
        // The weights moved: two untrained copies of the same seed would also be identical.
        torch.manual_seed(SEED);
        var untrained = CheckpointIO.stateDict(new Net(ADAM));
        assertThat(ResumeTest.maxDifference(untrained.get("hidden.weight"), trained.get("hidden.weight")))
                .isGreaterThan(1e-3);
    }
}
