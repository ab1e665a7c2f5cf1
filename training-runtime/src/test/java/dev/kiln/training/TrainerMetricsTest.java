package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

/** Evaluation means over ranks weigh each rank by the samples it held, in one all-reduce with names in order. */
class TrainerMetricsTest {
    @Test
    void meansAcrossRanksAreWeightedBySamples() {
        // This rank: val_acc 0.8 over 5 samples, val_loss 2 over 5. The other rank: 1.0 and 2.0 over 15 samples.
        var sums = new TreeMap<String, double[]>(Map.of("val_loss", new double[] {10, 5}, "val_acc", new double[] {4, 5}));
        double[][] sent = new double[1][];
        var means = TrainerMetrics.weightedMeans(sums, flat -> {
            sent[0] = flat.clone();
            return new double[] {flat[0] + 15, flat[1] + 15, flat[2] + 30, flat[3] + 15};
        });
        assertThat(sent[0]).as("sorted by name: val_acc, then val_loss").containsExactly(4, 5, 10, 5);
        // An unweighted mean of the two ranks' means would give 0.9 for val_acc.
        assertThat(means.get("val_acc")).isCloseTo(19.0 / 20, within(1e-12));
        assertThat(means.get("val_loss")).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void nothingLoggedReducesToNothing() {
        assertThat(TrainerMetrics.weightedMeans(new TreeMap<>(), flat -> flat)).isEmpty();
    }
}
