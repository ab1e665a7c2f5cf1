package dev.kiln.machine.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MachineCatalogTest {
    @Test
    void theDefaultCatalogHasCpuAndTheCommonGpus() {
        var catalog = MachineCatalog.defaults();
        assertThat(catalog.types()).extracting(MachineType::id)
                .contains("cpu-2", "cpu-8", "t4", "l4", "a10g", "a100-40gb", "a100-80gb", "h100");
        MachineType a100 = catalog.require("a100-80gb");
        assertThat(a100.gpuCount()).isEqualTo(1);
        assertThat(a100.gpu().resource()).isEqualTo("nvidia.com/gpu");
        assertThat(a100.nodeSelector()).containsEntry("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB");
        assertThat(a100.tolerations()).containsExactly(
                new MachineType.Toleration("nvidia.com/gpu", "Exists", null, "NoSchedule"));
        assertThat(catalog.require("cpu-2").hasGpu()).isFalse();
    }

    @Test
    void aHostWithoutGpusOffersOnlyCpuTypes() {
        assertThat(MachineCatalog.defaults().offerable(0)).extracting(MachineType::id).containsExactly("cpu-2", "cpu-8");
    }

    @Test
    void anUnknownTypeListsTheKnownOnes() {
        assertThatThrownBy(() -> MachineCatalog.defaults().require("a1000"))
                .isInstanceOf(CatalogException.class)
                .hasMessageStartingWith("Unknown machine type 'a1000'. Known types: cpu-2, cpu-8, t4");
    }

    @Test
    void mistakesNameTheTypeAndTheField() {
        assertThatThrownBy(() -> MachineCatalog.parse("""
                machineTypes:
                  - {id: big, displayName: Big, cpu: lots, memory: 8Gi}
                """, "catalog.yaml")).hasMessage("catalog.yaml, machine type 'big': cpu 'lots' is not a Kubernetes "
                + "quantity (for example \"4\", \"500m\", \"16Gi\")");
        assertThatThrownBy(() -> MachineCatalog.parse("""
                machineTypes:
                  - {id: A100, displayName: A, cpu: "1", memory: 1Gi}
                """, "catalog.yaml")).hasMessageContaining("id must be 1-32 lower-case letters");
        assertThatThrownBy(() -> MachineCatalog.parse("""
                machineTypes:
                  - {id: a, displayName: A, cpu: "1", memory: 1Gi}
                  - {id: a, displayName: B, cpu: "1", memory: 1Gi}
                """, "catalog.yaml")).hasMessageContaining("machine type 'a': the id is used twice");
        assertThatThrownBy(() -> MachineCatalog.parse("""
                machineTypes:
                  - {id: a, displayName: A, cpu: "1", memory: 1Gi, gpus: 1}
                """, "catalog.yaml")).hasMessageContaining("catalog.yaml is not a valid machine catalog")
                .hasMessageContaining("gpus");
        assertThatThrownBy(() -> MachineCatalog.parse("machineTypes: []", "empty.yaml"))
                .hasMessage("empty.yaml lists no machineTypes");
    }
}
