package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.machine.catalog.MachineCatalog;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What Kiln gives a cluster, checked by a real API server (Kubernetes 1.20) with a server-side dry run: validation,
 * defaulting and admission, nothing stored. The deployment manifests under k8s/ and every object the factories
 * build, for CPU and GPU machines and multi-node jobs.
 */
@ExtendWith(RealApiServer.class)
class KubernetesManifestsIT {
    static KubernetesClient admin;

    @BeforeAll
    static void controlPlane(KubeApiServer apiServer) {
        admin = apiServer.adminClient();
        TestCluster.prepare(admin, new StandInKubelet(admin));
    }

    static HasMetadata dryRun(HasMetadata object) {
        if (object.getMetadata().getNamespace() == null && !List.of("ClusterRole", "ClusterRoleBinding", "Namespace")
                .contains(object.getKind())) {
            object.getMetadata().setNamespace(KubeApiServer.NAMESPACE);
        }
        return admin.resource(object).dryRun().fieldManager("kubectl").forceConflicts().serverSideApply();
    }

    @Test
    void everyManifestOfTheKustomizationIsAccepted() throws IOException {
        var kustomization = tools.jackson.dataformat.yaml.YAMLMapper.builder().build()
                .readTree(Files.readString(TestCluster.K8S.resolve("kustomization.yaml")));
        int checked = 0;
        for (var resource : kustomization.path("resources")) {
            for (HasMetadata object : TestCluster.manifests(resource.asString())) {
                assertThat(dryRun(object).getMetadata().getUid()).as("%s %s", object.getKind(),
                        object.getMetadata().getName()).isNotBlank();
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(10);
    }

    @Test
    void theFactoriesObjectsAreAcceptedForEveryMachineTypeOfTheCatalog() {
        var spec = new StudioMachineSpec("m1", KubeApiServer.NAMESPACE, TestCluster.IMAGE, "http://kiln", "50Gi",
                "standard");
        OwnerReference owner = owner("ConfigMap", spec.anchorName());
        dryRun(StudioPodFactory.anchor(spec));
        dryRun(StudioPodFactory.homeVolume(spec, owner));
        dryRun(StudioPodFactory.agentToken(spec, 1, "x".repeat(43), owner));
        for (var type : MachineCatalog.defaults().types()) {
            var pod = dryRun(StudioPodFactory.pod(spec, type, 1, owner));
            assertThat(pod.getMetadata().getName()).isEqualTo(spec.podName(1));
        }
    }

    /**
     * Kubernetes 1.20 takes a multi-node job's objects but not what makes it indexed: {@code completionMode} is
     * dropped (Indexed Jobs came in 1.21), and so is {@code ttlSecondsAfterFinished} (beta in 1.21). So the job tests
     * run on fabric8's mock server; this says so the day the API server here is newer.
     */
    @Test
    void aMultiNodeJobsObjectsAreAcceptedButThisVersionDropsTheIndexedCompletionMode() {
        var spec = new TrainingJobSpec("j1", "m1", KubeApiServer.NAMESPACE, TestCluster.IMAGE, "http://kiln",
                MachineCatalog.defaults().require("a100-80gb"), "example.SumRegression", List.of("--x=1"), 2, 1);
        OwnerReference job = owner("Job", spec.name());
        // Created, as KubernetesTrainingJobs writes them (not server-side applied).
        admin.resource(TrainingJobFactory.rendezvous(spec, job)).dryRun().create();
        admin.resource(TrainingJobFactory.token(spec, "x".repeat(43), "{}", job)).dryRun().create();
        admin.resource(TrainingJobFactory.nodesOfOneJob(spec, job)).dryRun().create();
        Job built = TrainingJobFactory.job(spec, owner("ConfigMap", "kiln-studio-m1"));
        assertThat(built.getSpec().getCompletionMode()).isEqualTo("Indexed");
        Job accepted = admin.resource(built).dryRun().create();
        assertThat(accepted.getSpec().getCompletions()).isEqualTo(2);
        assertThat(accepted.getSpec().getCompletionMode()).as("Kubernetes " + KubeApiServer.VERSION).isNull();
        assertThat(accepted.getSpec().getTtlSecondsAfterFinished()).as("an alpha field in 1.20, off by default")
                .isNull();
    }

    private static OwnerReference owner(String kind, String name) {
        return new OwnerReferenceBuilder().withApiVersion(kind.equals("Job") ? "batch/v1" : "v1").withKind(kind)
                .withName(name).withUid("00000000-0000-0000-0000-000000000001").withController(true)
                .withBlockOwnerDeletion(true).build();
    }
}
