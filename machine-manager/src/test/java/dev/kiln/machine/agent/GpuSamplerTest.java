package dev.kiln.machine.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** nvidia-smi output as recorded on real machines, parsed into the health report's GPU entries. */
class GpuSamplerTest {

    static String recorded(String name) throws IOException {
        return new String(GpuSamplerTest.class.getResourceAsStream("/nvidia-smi/" + name).readAllBytes());
    }

    @Test
    void readsEveryGpuOfAnEightGpuNode() throws IOException {
        var gpus = GpuSampler.parse(recorded("dgx-8xa100.csv"));
        assertThat(gpus).hasSize(8);
        assertThat(gpus.getFirst()).isEqualTo(new dev.kiln.machine.protocol.FromMachine.Gpu(0, "NVIDIA A100-SXM4-80GB",
                0.97, 71234L << 20, 81920L << 20, 63.0, 341.52));
        assertThat(gpus.get(7).index()).isEqualTo(7);
        assertThat(gpus.get(7).utilization()).isEqualTo(0.0);
    }

    @Test
    void fieldsTheDriverCannotReadCountAsZeroAndNoiseIsSkipped() throws IOException {
        var gpus = GpuSampler.parse(recorded("t4-idle-na-power.csv") + "\nNVIDIA-SMI has failed because it couldn't "
                + "communicate with the NVIDIA driver.\n");
        assertThat(gpus).hasSize(1);
        assertThat(gpus.getFirst().name()).isEqualTo("Tesla T4");
        assertThat(gpus.getFirst().power()).isEqualTo(0.0);
    }

    @Test
    void runsTheRealCommandLineAndReportsNothingWithoutIt(@TempDir Path dir) throws IOException {
        Path fake = dir.resolve("nvidia-smi");
        Files.writeString(fake, "#!/bin/sh\ncase \"$*\" in *--query-gpu=" + GpuSampler.QUERY
                + "*--format=csv,noheader,nounits*) cat <<'CSV'\n" + recorded("t4-idle-na-power.csv") + "CSV\n;; *) exit 9;; esac\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertThat(new GpuSampler(fake).sample()).hasSize(1);
        assertThat(new GpuSampler(fake).count()).isEqualTo(1);
        assertThat(new GpuSampler(null).sample()).isEmpty();
        assertThat(new GpuSampler(null).available()).isFalse();
    }
}
