package dev.kiln.training.examples;

import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.Stage;
import dev.kiln.training.data.TensorDataset;

/** Train and validation splits of {@link SyntheticImages}, from different seeds. */
public class ImageData implements DataModule {
    private final int trainSize;
    private final int batchSize;
    private TensorDataset train;
    private TensorDataset val;

    public ImageData() {
        this(2048, 64);
    }

    public ImageData(int trainSize, int batchSize) {
        this.trainSize = trainSize;
        this.batchSize = batchSize;
    }

    @Override
    public void setup(Stage stage) {
        if (train == null) {
            train = SyntheticImages.generate(trainSize, 1);
            val = SyntheticImages.generate(512, 2);
        }
    }

    @Override
    public DataLoader trainLoader() {
        return DataLoader.builder(train).batchSize(batchSize).shuffle(true).seed(7).workers(1).build();
    }

    @Override
    public DataLoader valLoader() {
        return DataLoader.builder(val).batchSize(128).build();
    }

    @Override
    public DataLoader testLoader() {
        return valLoader();
    }
}
