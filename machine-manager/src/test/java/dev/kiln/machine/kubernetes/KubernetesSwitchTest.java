package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;

/**
 * The Kubernetes backend through the real fabric8 client against its mock API server in CRUD mode, with
 * {@link FakeCluster} as scheduler and kubelet. A real cluster runs the same code path (see k8s/README).
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesSwitchTest {
    static KubernetesClient client;
    static KubernetesMockServer server;

    static final StudioMachineSpec SPEC = new StudioMachineSpec("s1", "kiln", "ghcr.io/kiln-dev/machine:0.1.0",
            "https://kiln.example.com", "50Gi", null);
    // The mock server stamps objects with the real time, so the test clock starts there and moves on by hand.
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    FakeCluster cluster;
    MachineReconciler<StudioMachineSpec> reconciler;
    DesiredMachine desired;
    final List<Phase> phases = new ArrayList<>();

    @BeforeEach
    void cluster() {
        client.pods().inAnyNamespace().delete();
        client.nodes().delete();
        client.configMaps().inAnyNamespace().delete();
        client.persistentVolumeClaims().inAnyNamespace().delete();
        client.secrets().inAnyNamespace().delete();
        cluster = new FakeCluster(client);
        cluster.addNode("cpu-1", Map.of("kubernetes.io/os", "linux"), 0, false);
        cluster.addNode("gpu-1", Map.of("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"), 1, true);
        var clock = new Clock() {
            @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
            @Override public Clock withZone(java.time.ZoneId zone) { return this; }
            @Override public Instant instant() { return now.get(); }
        };
        reconciler = new MachineReconciler<>(new KubernetesMachineBackend(client, MachineCatalog.defaults()),
                new MachinePlanner(Duration.ofMinutes(5)), clock);
    }

    /** Reconciles and lets the fake cluster act until nothing changes, recording the phases a user would see. */
    MachinePlan settle() {
        MachinePlan plan = null;
        for (int i = 0; i < 20; i++) {
            plan = reconciler.reconcile(SPEC, desired, d -> desired = d);
            if (phases.isEmpty() || phases.getLast() != plan.phase()) {
                phases.add(plan.phase());
            }
            cluster.tick();
            if (plan.steps().isEmpty() && (plan.phase() == Phase.READY || plan.phase() == Phase.FAILED
                    || plan.phase() == Phase.SCHEDULING && plan.detail().startsWith("Waiting for room"))) {
                return plan;
            }
        }
        return plan;
    }

    List<String> podTypes() {
        return client.pods().inNamespace("kiln").list().getItems().stream()
                .map(p -> p.getMetadata().getLabels().get(StudioPodFactory.LABEL_MACHINE_TYPE)).toList();
    }

    @Test
    void cpuToA100AndBackKeepsTheVolume() {
        desired = DesiredMachine.running("s1", "cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
        String volumeUid = client.persistentVolumeClaims().inNamespace("kiln").withName(SPEC.volumeName()).get()
                .getMetadata().getUid();

        phases.clear();
        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = settle();
        assertThat(plan.phase()).isEqualTo(Phase.READY);
        // No agents here to ask to save work (that is tested with real agents): the old pod goes at once.
        assertThat(phases).containsSubsequence(Phase.STOPPING_OLD_MACHINE, Phase.SCHEDULING, Phase.READY);
        var pods = client.pods().inNamespace("kiln").list().getItems();
        assertThat(pods).hasSize(1);
        assertThat(pods.getFirst().getSpec().getNodeName()).isEqualTo("gpu-1");
        assertThat(pods.getFirst().getMetadata().getName()).isEqualTo("kiln-studio-s1-g2");
        assertThat(pods.getFirst().getMetadata().getOwnerReferences()).extracting(o -> o.getName())
                .containsExactly("kiln-studio-s1");

        desired = desired.switchTo("cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
        assertThat(client.persistentVolumeClaims().inNamespace("kiln").withName(SPEC.volumeName()).get()
                .getMetadata().getUid()).as("the same volume all along").isEqualTo(volumeUid);
    }

    @Test
    void noFreeA100LeavesTheStudioRunningWhereItWas() {
        desired = DesiredMachine.running("s1", "cpu-8");
        settle();
        // Someone else's pod takes the only A100.
        client.pods().inNamespace("other").resource(StudioPodFactory.pod(new StudioMachineSpec("x9", "other",
                "img", "https://k", "1Gi", null), MachineCatalog.defaults().require("a100-80gb"), 1, null)).create();
        cluster.tick();

        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = reconciler.reconcile(SPEC, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).startsWith("No A100 80GB free right now");
        assertThat(desired.machineType()).isEqualTo("cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
        assertThat(client.pods().inNamespace("kiln").list().getItems().getFirst().getMetadata().getName())
                .as("the running machine was never stopped").isEqualTo("kiln-studio-s1-g1");
    }

    @Test
    void anImageThatCannotBePulledGoesBackAfterThePatience() {
        desired = DesiredMachine.running("s1", "cpu-8");
        settle();
        cluster.imagePullFails = true;
        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = settle();
        assertThat(plan.phase()).isEqualTo(Phase.PULLING_IMAGE);
        assertThat(plan.detail()).contains("ImagePullBackOff");

        cluster.imagePullFails = false;
        now.set(now.get().plus(Duration.ofMinutes(6)));
        plan = reconciler.reconcile(SPEC, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).contains("could not be pulled");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
        assertThat(client.pods().inNamespace("kiln").list().getItems().getFirst().getMetadata().getName())
                .as("a new generation, never a reused name").isEqualTo("kiln-studio-s1-g3");
    }
    @Test
    void aCrashingMachineGoesBackWithTheReason() {
        desired = DesiredMachine.running("s1", "cpu-8");
        settle();
        cluster.crashes = true;
        desired = desired.switchTo("a100-80gb");
        assertThat(settle().phase()).isEqualTo(Phase.STARTING_AGENT);
        cluster.crashes = false;
        now.set(now.get().plus(Duration.ofMinutes(6)));
        MachinePlan plan = reconciler.reconcile(SPEC, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).contains("kept crashing").contains("CrashLoopBackOff");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
    }

    @Test
    void passingApiErrorsAreRetriedAndNeverMakeTwoPods() {
        server.expect().get().withPath("/api/v1/namespaces/kiln/configmaps/kiln-studio-s1")
                .andReturn(503, "etcd is busy").once();
        server.expect().post().withPath("/api/v1/namespaces/kiln/pods").andReturn(500, "internal error").once();
        server.expect().post().withPath("/api/v1/namespaces/kiln/pods").andReturn(429, "slow down").once();
        desired = DesiredMachine.running("s1", "cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("cpu-8");
    }

    @Test
    void aServerRestartMidSwitchCarriesOn() {
        desired = DesiredMachine.running("s1", "cpu-8");
        settle();
        desired = desired.switchTo("a100-80gb");
        assertThat(reconciler.reconcile(SPEC, desired, d -> desired = d).phase()).isEqualTo(Phase.STOPPING_OLD_MACHINE);

        // A new server: new backend and reconciler, nothing remembered but the desired state and the cluster.
        reconciler = new MachineReconciler<>(new KubernetesMachineBackend(client, MachineCatalog.defaults()),
                new MachinePlanner(Duration.ofMinutes(5)), Clock.fixed(now.get(), ZoneOffset.UTC));
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(podTypes()).containsExactly("a100-80gb");
        assertThat(client.persistentVolumeClaims().inNamespace("kiln").list().getItems()).hasSize(1);
    }
}
