package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.utils.Serialization;

/** The studio's objects, asserted whole against the expected YAML beside this test. */
class StudioPodFactoryTest {
    static final StudioMachineSpec SPEC = new StudioMachineSpec("s1a2b3", "kiln", "ghcr.io/kiln-dev/machine:0.1.0",
            "https://kiln.example.com", "50Gi", "fast-ssd");
    static final OwnerReference OWNER = StudioPodFactory.ownedBy(new ConfigMapBuilder(StudioPodFactory.anchor(SPEC))
            .editMetadata().withUid("0f1e2d3c-anchor").endMetadata().build());
    static final MachineCatalog CATALOG = MachineCatalog.defaults();

    @Test
    void cpuPod() throws IOException {
        Pod pod = StudioPodFactory.pod(SPEC, CATALOG.require("cpu-8"), 1, OWNER);
        assertMatches(pod, "cpu-pod.expected.yaml", Pod.class);
    }

    @Test
    void a100Pod() throws IOException {
        Pod pod = StudioPodFactory.pod(SPEC, CATALOG.require("a100-80gb"), 2, OWNER);
        assertMatches(pod, "a100-pod.expected.yaml", Pod.class);
    }

    @Test
    void homeVolume() throws IOException {
        assertMatches(StudioPodFactory.homeVolume(SPEC, OWNER), "home-volume.expected.yaml", PersistentVolumeClaim.class);
    }

    @Test
    void aSwitchNeverReusesAPodName() {
        assertThat(StudioPodFactory.pod(SPEC, CATALOG.require("cpu-8"), 1, OWNER).getMetadata().getName())
                .isNotEqualTo(StudioPodFactory.pod(SPEC, CATALOG.require("a100-80gb"), 2, OWNER).getMetadata().getName());
    }

    private static <T extends HasMetadata> void assertMatches(T actual, String expectedFile, Class<T> type)
            throws IOException {
        String expectedYaml;
        try (InputStream in = StudioPodFactoryTest.class.getResourceAsStream("/kubernetes/" + expectedFile)) {
            expectedYaml = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        T expected = Serialization.unmarshal(expectedYaml, type);
        // Both sides through the same serializer: key order and quoting in the file do not matter, every value
        // does, and a mismatch reads as a YAML diff.
        assertThat(Serialization.asYaml(actual)).as("%s", expectedFile).isEqualTo(Serialization.asYaml(expected));
    }
}
