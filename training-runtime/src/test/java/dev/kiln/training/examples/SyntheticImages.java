package dev.kiln.training.examples;

import java.util.Random;

import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.runtime.Tensors;

/**
 * A learnable image task generated on the spot: 12x12 grey images of four classes (a horizontal bar, a vertical bar,
 * a diagonal, an anti-diagonal) at random positions, with Gaussian noise. Chance is 25%.
 */
public final class SyntheticImages {
    public static final int SIZE = 12;
    public static final int CLASSES = 4;

    private SyntheticImages() {}

    public static TensorDataset generate(int count, long seed) {
        var random = new Random(seed);
        float[] pixels = new float[count * SIZE * SIZE];
        long[] labels = new long[count];
        for (int n = 0; n < count; n++) {
            int label = random.nextInt(CLASSES);
            labels[n] = label;
            int offset = random.nextInt(SIZE - 4) + 2;
            int base = n * SIZE * SIZE;
            for (int i = 0; i < SIZE * SIZE; i++) {
                pixels[base + i] = (float) (random.nextGaussian() * 0.35);
            }
            for (int k = 0; k < SIZE; k++) {
                int row;
                int col;
                switch (label) {
                    case 0 -> { row = offset; col = k; }
                    case 1 -> { row = k; col = offset; }
                    case 2 -> { row = k; col = (k + offset) % SIZE; }
                    default -> { row = k; col = (SIZE - 1 - k + offset) % SIZE; }
                }
                pixels[base + row * SIZE + col] += 1.0f;
            }
        }
        return new TensorDataset(Tensors.fromFloats(pixels, count, 1, SIZE, SIZE), Tensors.fromLongs(labels, count));
    }
}
