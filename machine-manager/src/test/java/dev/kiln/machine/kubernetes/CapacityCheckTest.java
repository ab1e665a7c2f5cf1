package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;

class CapacityCheckTest {
    static final MachineCatalog CATALOG = MachineCatalog.defaults();
    static final MachineType A100 = CATALOG.require("a100-80gb");
    static final MachineType CPU = CATALOG.require("cpu-8");

    static Node node(String name, String product, String zone, int gpus, boolean tainted) {
        var builder = new NodeBuilder().withNewMetadata().withName(name)
                .addToLabels(CapacityCheck.ZONE_LABEL, zone).endMetadata()
                .withNewStatus().addToAllocatable("cpu", new Quantity("32")).addToAllocatable("memory", new Quantity("256Gi"))
                .addToAllocatable("nvidia.com/gpu", new Quantity(String.valueOf(gpus))).endStatus()
                .withNewSpec().endSpec();
        if (product != null) {
            builder.editMetadata().addToLabels("nvidia.com/gpu.product", product).endMetadata();
        }
        if (tainted) {
            builder.editSpec().addNewTaint().withKey("nvidia.com/gpu").withEffect("NoSchedule").endTaint().endSpec();
        }
        return builder.build();
    }

    static Pod using(String name, String node, int gpus) {
        return new PodBuilder().withNewMetadata().withName(name).endMetadata()
                .withNewSpec().withNodeName(node).addNewContainer().withName("c").withNewResources()
                .addToRequests("cpu", new Quantity("4")).addToRequests("memory", new Quantity("16Gi"))
                .addToRequests("nvidia.com/gpu", new Quantity(String.valueOf(gpus))).endResources().endContainer()
                .endSpec().withNewStatus().withPhase("Running").endStatus().build();
    }

    static final Node A100_NODE = node("gpu-a", "NVIDIA-A100-SXM4-80GB", "us-east-1a", 1, true);
    static final Node CPU_NODE = node("cpu-a", null, "us-east-1a", 0, false);

    @Test
    void aFreeMatchingNodeFits() {
        assertThat(CapacityCheck.check(A100, List.of(CPU_NODE, A100_NODE), List.of(), List.of(), "us-east-1a").fits())
                .isTrue();
    }

    @Test
    void allGpusInUseSaysSo() {
        var capacity = CapacityCheck.check(A100, List.of(A100_NODE), List.of(using("other", "gpu-a", 1)), List.of(),
                null);
        assertThat(capacity.fits()).isFalse();
        assertThat(capacity.reason()).isEqualTo("No A100 80GB free right now: all 1 matching node is full");
    }

    @Test
    void theStudiosOwnLeavingPodCountsAsFree() {
        assertThat(CapacityCheck.check(A100, List.of(A100_NODE), List.of(using("mine", "gpu-a", 1)), List.of("mine"),
                null).fits()).isTrue();
    }

    @Test
    void noMatchingLabelWrongZoneOrUntoleratedTaint() {
        assertThat(CapacityCheck.check(A100, List.of(CPU_NODE), List.of(), List.of(), null).reason())
                .startsWith("No node in this cluster offers A100 80GB");
        assertThat(CapacityCheck.check(A100, List.of(A100_NODE), List.of(), List.of(), "us-east-1b").reason())
                .isEqualTo("No A100 80GB node is in zone us-east-1b, where this studio's files are");
        // The CPU type does not tolerate the GPU taint, so it never lands on (and blocks) a GPU node.
        assertThat(CapacityCheck.check(CPU, List.of(A100_NODE), List.of(), List.of(), null).reason())
                .contains("tainted");
        assertThat(CapacityCheck.check(CPU, List.of(CPU_NODE, A100_NODE), List.of(), List.of(), null).fits()).isTrue();
    }
}
