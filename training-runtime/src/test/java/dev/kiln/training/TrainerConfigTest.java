package dev.kiln.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** Impossible configurations fail before any work, with a message that says what to change. */
class TrainerConfigTest {
    private static final Map<String, String> NO_ENV = Map.of();
    private static final Map<String, String> TWO_RANKS = Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", "29500",
            "WORLD_SIZE", "2", "RANK", "1", "LOCAL_RANK", "1", "LOCAL_WORLD_SIZE", "2");

    private static TrainerConfig config(TrainerConfig.Builder builder) {
        try (Trainer trainer = builder.progressBar(false).metricsChannel("stderr").build()) {
            return trainer.config();
        }
    }

    @Test
    void autoPicksCudaOnlyWhenLibtorchSeesIt() {
        var config = config(Trainer.builder());
        assertThat(config.resolve(NO_ENV, false, 0).accelerator()).isEqualTo(Accelerator.CPU);
        assertThat(config.resolve(NO_ENV, true, 1).accelerator()).isEqualTo(Accelerator.CUDA);
        assertThat(config.resolve(NO_ENV, false, 0).strategy()).isEqualTo(StrategyKind.SINGLE_DEVICE);
    }

    @Test
    void unknownAcceleratorPrecisionAndStrategyAreNamed() {
        assertThatThrownBy(() -> Trainer.builder().set("accelerator", "tpu"))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'tpu'").hasMessageContaining("cpu, cuda");
        assertThatThrownBy(() -> Trainer.builder().set("precision", "8-bit"))
                .hasMessageContaining("32, bf16-mixed or 16-mixed");
        assertThatThrownBy(() -> Trainer.builder().set("strategy", "fsdp")).hasMessageContaining("auto, single_device or ddp");
        assertThatThrownBy(() -> Trainer.builder().set("max-epoch", "3"))
                .hasMessageContaining("Unknown trainer option 'max-epoch'").hasMessageContaining("max-epochs");
        assertThatThrownBy(() -> Trainer.builder().set("max-epochs", "three")).hasMessageContaining("not a number");
    }

    @Test
    void cudaWithoutAGpuSaysWhatToDo() {
        var config = config(Trainer.builder().accelerator(Accelerator.CUDA));
        assertThatThrownBy(() -> config.resolve(NO_ENV, false, 0)).isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("no CUDA device").hasMessageContaining("accelerator=auto or cpu");
    }

    @Test
    void moreDevicesThanTheMachineHas() {
        var config = config(Trainer.builder().accelerator(Accelerator.CUDA).devices(4));
        assertThatThrownBy(() -> config.resolve(NO_ENV, true, 1))
                .hasMessageContaining("devices=4, but this machine has 1 CUDA device");
    }

    @Test
    void severalDevicesNeedALauncher() {
        var config = config(Trainer.builder().accelerator(Accelerator.CPU).devices(2));
        assertThatThrownBy(() -> config.resolve(NO_ENV, false, 0))
                .hasMessageContaining("needs 2 processes").hasMessageContaining("kiln-train launch --nproc-per-node 2");
    }

    @Test
    void ddpWithoutRendezvousVariablesListsThem() {
        var config = config(Trainer.builder().strategy(StrategyKind.DDP));
        assertThatThrownBy(() -> config.resolve(Map.of("MASTER_ADDR", "10.0.0.1"), false, 0))
                .hasMessageContaining("missing: MASTER_PORT, WORLD_SIZE, RANK");
    }

    @Test
    void launchedProcessesTakeTheLaunchersLayout() {
        var resolved = config(Trainer.builder().accelerator(Accelerator.CPU)).resolve(TWO_RANKS, false, 0);
        assertThat(resolved.strategy()).isEqualTo(StrategyKind.DDP);
        assertThat(resolved.distributed().rank()).isEqualTo(1);
        assertThat(resolved.distributed().worldSize()).isEqualTo(2);
        var conflicting = config(Trainer.builder().accelerator(Accelerator.CPU).devices(4));
        assertThatThrownBy(() -> conflicting.resolve(TWO_RANKS, false, 0))
                .hasMessageContaining("WORLD_SIZE=2, but devices=4 x numNodes=1 = 4");
        assertThatThrownBy(() -> config(Trainer.builder()).resolve(Map.of("MASTER_ADDR", "a", "MASTER_PORT", "1",
                "WORLD_SIZE", "2", "RANK", "2"), false, 0)).hasMessageContaining("RANK=2 is outside WORLD_SIZE=2");
    }

    @Test
    void halfPrecisionNeedsCuda() {
        var config = config(Trainer.builder().precision(Precision.FP16_MIXED));
        assertThatThrownBy(() -> config.resolve(NO_ENV, false, 0))
                .hasMessageContaining("16-mixed needs CUDA").hasMessageContaining("bf16-mixed");
        assertThat(config.resolve(NO_ENV, true, 1).accelerator()).isEqualTo(Accelerator.CUDA);
    }

    @Test
    void badNumbersAreRefusedAtBuild() {
        assertThatThrownBy(() -> Trainer.builder().accumulateGradBatches(0).build())
                .hasMessageContaining("accumulateGradBatches must be at least 1");
        assertThatThrownBy(() -> Trainer.builder().gradientClipVal(-1).build()).hasMessageContaining("gradientClipVal");
    }
}
