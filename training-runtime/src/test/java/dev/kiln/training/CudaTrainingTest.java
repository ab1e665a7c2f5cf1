package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.SmallCnn;

/** The CUDA path: run with {@code ./mvnw -pl training-runtime -Pcuda test -Dtest=CudaTrainingTest} on a GPU. */
@RequiresCuda
class CudaTrainingTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(Precision.class)
    void theCnnLearnsOnTheGpu(Precision precision) {
        try (var trainer = ExamplesLearnTest.quiet(dir).accelerator(Accelerator.CUDA).precision(precision)
                .maxEpochs(3).seed(1).build()) {
            long start = System.nanoTime();
            trainer.fit(new SmallCnn(), new ImageData());
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("CUDA %s: val_acc %.4f in %.2f s on %s%n", precision.label(),
                    trainer.callbackMetrics().get("val_acc"), seconds, trainer.device().str().getString());
            assertThat(trainer.device().is_cuda()).isTrue();
            assertThat(trainer.callbackMetrics().get("val_acc")).isGreaterThan(0.9);
        }
    }
}
