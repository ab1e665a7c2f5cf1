package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kiln.machine.agent.AgentRegistry;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;

/**
 * Multi-node jobs through the real fabric8 client against the CRUD mock server. The mock runs no Job controller, so
 * the test plays it: it creates the pods of each completion index and moves them through their phases.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesTrainingJobsTest {
    static KubernetesClient client;

    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    final AgentRegistry tokens = new AgentRegistry();
    KubernetesTrainingJobs jobs;
    final TrainingJobSpec spec = TrainingJobFactoryTest.SPEC;

    @BeforeEach
    void fresh() {
        client.batch().v1().jobs().inAnyNamespace().delete();
        client.pods().inAnyNamespace().delete();
        client.services().inAnyNamespace().delete();
        client.secrets().inAnyNamespace().delete();
        var clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now.get(); }
        };
        jobs = new KubernetesTrainingJobs(client, tokens, clock, Duration.ofMinutes(5));
    }

    /** The Job controller's part: a pod for a completion index, in a phase. */
    void pod(int index, String phase, String unschedulableMessage) {
        Job job = client.batch().v1().jobs().inNamespace("kiln").withName(spec.name()).get();
        var template = job.getSpec().getTemplate();
        var builder = new PodBuilder().withNewMetadata().withName(spec.name() + "-" + index + "-x").withNamespace("kiln")
                .withLabels(template.getMetadata().getLabels())
                .addToAnnotations("batch.kubernetes.io/job-completion-index", String.valueOf(index)).endMetadata()
                .withSpec(template.getSpec());
        Pod pod = client.pods().inNamespace("kiln").resource(builder.build()).createOr(p -> p.update());
        var status = new PodBuilder(pod).editOrNewStatus().withPhase(phase);
        if (unschedulableMessage != null) {
            status.addNewCondition().withType("PodScheduled").withStatus("False").withReason("Unschedulable")
                    .withMessage(unschedulableMessage).endCondition();
        }
        client.pods().inNamespace("kiln").resource(status.endStatus().build()).updateStatus();
    }

    @Test
    void submitsTheJobWithItsServiceAndTokenAllOwnedSoNothingIsOrphaned() {
        jobs.submit(spec, TrainingJobFactoryTest.STUDIO, null);
        Job job = client.batch().v1().jobs().inNamespace("kiln").withName(spec.name()).get();
        assertThat(job.getSpec().getCompletionMode()).isEqualTo("Indexed");
        assertThat(job.getMetadata().getOwnerReferences()).extracting(o -> o.getName()).containsExactly("kiln-studio-s1a2b3");
        var service = client.services().inNamespace("kiln").withName(spec.name()).get();
        var secret = client.secrets().inNamespace("kiln").withName(spec.name()).get();
        assertThat(service.getMetadata().getOwnerReferences().getFirst().getUid()).isEqualTo(job.getMetadata().getUid());
        assertThat(secret.getMetadata().getOwnerReferences().getFirst().getUid()).isEqualTo(job.getMetadata().getUid());
        assertThat(client.network().v1().networkPolicies().inNamespace("kiln").withName(spec.name()).get()
                .getMetadata().getOwnerReferences().getFirst().getUid()).isEqualTo(job.getMetadata().getUid());
        String token = secret.getStringData() != null ? secret.getStringData().get("token")
                : new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")));
        assertThat(tokens.authenticate(token)).map(AgentRegistry.Identity::studioId).contains("s1a2b3");

        // Submitting again (a retried request) changes nothing.
        jobs.submit(spec, TrainingJobFactoryTest.STUDIO, null);
        assertThat(client.batch().v1().jobs().inNamespace("kiln").list().getItems()).hasSize(1);
    }

    @Test
    void aGangThatCannotAllStartFailsWithTheSchedulersReasonAndIsRemoved() {
        jobs.submit(spec, TrainingJobFactoryTest.STUDIO, null);
        pod(0, "Running", null);
        pod(1, "Pending", "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");
        assertThat(jobs.observe(spec).phase()).isEqualTo(KubernetesTrainingJobs.Phase.STARTING);
        assertThat(jobs.observe(spec).running()).isEqualTo(1);

        now.set(now.get().plus(Duration.ofMinutes(6)));
        var observed = jobs.observe(spec);
        assertThat(observed.phase()).isEqualTo(KubernetesTrainingJobs.Phase.FAILED);
        assertThat(observed.reason()).contains("only 1 of 2 nodes started within 5 min")
                .contains("Insufficient nvidia.com/gpu").contains("do not hold GPUs");

        jobs.cleanUp(spec);
        assertThat(client.batch().v1().jobs().inNamespace("kiln").list().getItems()).isEmpty();
        assertThat(client.pods().inNamespace("kiln").list().getItems()).isEmpty();
        assertThat(client.services().inNamespace("kiln").list().getItems()).isEmpty();
        assertThat(client.network().v1().networkPolicies().inNamespace("kiln").list().getItems()).isEmpty();
        assertThat(client.secrets().inNamespace("kiln").list().getItems()).isEmpty();
    }

    @Test
    void runsWhenEveryNodeRunsSucceedsWhenAllCompleteAndReportsANodeKilledForMemory() {
        jobs.submit(spec, TrainingJobFactoryTest.STUDIO, null);
        pod(0, "Running", null);
        pod(1, "Running", null);
        assertThat(jobs.observe(spec).phase()).isEqualTo(KubernetesTrainingJobs.Phase.RUNNING);

        Job job = client.batch().v1().jobs().inNamespace("kiln").withName(spec.name()).get();
        client.batch().v1().jobs().inNamespace("kiln").resource(new JobBuilder(job).editOrNewStatus().withSucceeded(2)
                .endStatus().build()).updateStatus();
        assertThat(jobs.observe(spec).phase()).isEqualTo(KubernetesTrainingJobs.Phase.SUCCEEDED);

        client.batch().v1().jobs().inNamespace("kiln").resource(new JobBuilder(job).editOrNewStatus().withSucceeded(0)
                .endStatus().build()).updateStatus();
        Pod killed = client.pods().inNamespace("kiln").withName(spec.name() + "-1-x").get();
        client.pods().inNamespace("kiln").resource(new PodBuilder(killed).editOrNewStatus().withPhase("Failed")
                .addNewContainerStatus().withName("trainer").withNewState().withNewTerminated().withReason("OOMKilled")
                .withExitCode(137).endTerminated().endState().endContainerStatus().endStatus().build()).updateStatus();
        var observed = jobs.observe(spec);
        assertThat(observed.phase()).isEqualTo(KubernetesTrainingJobs.Phase.FAILED);
        assertThat(observed.reason()).isEqualTo("node 1 failed: OOMKilled (exit code 137): out of memory");
    }
}
