package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.Serialization;

/** A "2 nodes x 8 A100" job's objects, asserted whole against the expected YAML beside this test. */
class TrainingJobFactoryTest {
    static final TrainingJobSpec SPEC = new TrainingJobSpec("7c9e6679-7425-40de-944b-e07fc1f90ae7", "s1a2b3", "kiln",
            "ghcr.io/kiln-dev/kiln-machine:0.1.0", "http://kiln", MachineCatalog.defaults().require("a100-80gb"),
            "example.SumRegression", List.of("--trainer.max-epochs=3", "samples=4096"), 2, 1);
    static final OwnerReference STUDIO = new OwnerReferenceBuilder().withApiVersion("v1").withKind("ConfigMap")
            .withName("kiln-studio-s1a2b3").withUid("0f1e2d3c-anchor").withController(true).withBlockOwnerDeletion(true)
            .build();
    static final OwnerReference JOB = new OwnerReferenceBuilder().withApiVersion("batch/v1").withKind("Job")
            .withName(SPEC.name()).withUid("9a8b7c6d-job").withController(true).withBlockOwnerDeletion(true).build();

    @Test
    void indexedJobWithOnePodPerNodeWiredForTheRendezvous() throws IOException {
        assertMatches(TrainingJobFactory.job(SPEC, STUDIO), "a100-2-node-job.expected.yaml", Job.class);
    }

    @Test
    void headlessServiceGivesRankZeroAStableName() throws IOException {
        assertMatches(TrainingJobFactory.rendezvous(SPEC, JOB), "a100-2-node-service.expected.yaml", Service.class);
        assertThat(SPEC.masterAddress()).isEqualTo("kiln-job-7c9e6679-7425-40de-944b-e07fc1f90ae7-0."
                + "kiln-job-7c9e6679-7425-40de-944b-e07fc1f90ae7");
    }

    @Test
    void onlyTheNodesOfOneJobReachEachOther() throws IOException {
        assertMatches(TrainingJobFactory.nodesOfOneJob(SPEC, JOB), "a100-2-node-network-policy.expected.yaml",
                io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy.class);
    }

    static <T extends HasMetadata> void assertMatches(T actual, String expectedFile, Class<T> type) throws IOException {
        String expectedYaml;
        try (InputStream in = TrainingJobFactoryTest.class.getResourceAsStream("/kubernetes/" + expectedFile)) {
            expectedYaml = in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(Serialization.asYaml(actual)).as("%s", expectedFile)
                .isEqualTo(Serialization.asYaml(Serialization.unmarshal(expectedYaml, type)));
    }
}
