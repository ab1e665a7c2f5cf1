package dev.kiln.training.data;

/**
 * Where a model's data comes from, as Lightning's {@code LightningDataModule}: {@link #prepareData()} runs once per
 * machine (download, unpack, tokenize to shards), {@link #setup(Stage)} on every process, then the loaders.
 */
public interface DataModule {
    /** Runs on local rank 0 of each machine only, before {@link #setup}; other ranks wait for it. */
    default void prepareData() {}

    default void setup(Stage stage) {}

    DataLoader trainLoader();

    /** Null when there is no validation data. */
    default DataLoader valLoader() {
        return null;
    }

    /** Null when there is no test data. */
    default DataLoader testLoader() {
        return null;
    }
}
