package dev.kiln.machine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LocalMachineBackendTest {

    @Test
    void describesThisHostsCpusAndMemory() {
        var machine = new LocalMachineBackend().machineOf("any-studio");

        assertThat(machine.backend()).isEqualTo("local");
        assertThat(machine.cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(machine.memoryBytes()).isGreaterThan(Runtime.getRuntime().maxMemory() / 4);
        assertThat(machine.summary()).startsWith("This host · " + machine.cpus() + " CPU").contains("GiB");
    }

    @Test
    void summaryNamesGpusOnlyWhenThereAreSome() {
        assertThat(new MachineDescription("k8s", "A100", 12, 85L << 30, 1).summary()).isEqualTo("A100 · 12 CPUs · 85.0 GiB · 1 GPU");
        assertThat(new MachineDescription("local", "Laptop", 1, 0, 0).summary()).isEqualTo("Laptop · 1 CPU");
    }
}
