package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * Multi-node jobs against the real API server. Kubernetes 1.20 has no Indexed Jobs, so what runs here is the refusal
 * a cluster that old gets; the jobs themselves are tested on fabric8's mock server ({@link KubernetesTrainingJobsTest}).
 */
@ExtendWith(RealApiServer.class)
class KubernetesTrainingJobsIT {

    @Test
    void aClusterWithoutIndexedJobsRefusesAMultiNodeJobWithTheReasonAndKeepsNothing(KubeApiServer cluster) {
        try (KubernetesClient admin = cluster.adminClient(); KubernetesClient server = cluster.serverClient()) {
            TestCluster.prepare(admin, new StandInKubelet(admin));
            var jobs = new KubernetesTrainingJobs(server, new AgentRegistry(), Clock.systemUTC(), Duration.ofMinutes(10));
            var spec = new TrainingJobSpec("j2", "s-jobs", KubeApiServer.NAMESPACE, TestCluster.IMAGE, "http://kiln",
                    MachineCatalog.defaults().require("a100-80gb"), "example.SumRegression", List.of(), 2, 1);

            assertThatThrownBy(() -> jobs.submit(spec, null, null)).hasMessageContaining("no Indexed Jobs")
                    .hasMessageContaining("1.21");

            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                assertThat(admin.batch().v1().jobs().inNamespace(spec.namespace()).withName(spec.name()).get()).isNull();
                assertThat(admin.pods().inNamespace(spec.namespace()).withLabel(TrainingJobFactory.LABEL_JOB, "j2")
                        .list().getItems()).as("no half-made job holds GPUs").isEmpty();
            });
            assertThat(admin.services().inNamespace(spec.namespace()).withName(spec.name()).get()).isNull();
            assertThat(admin.secrets().inNamespace(spec.namespace()).withName(spec.name()).get()).isNull();
        }
    }
}
