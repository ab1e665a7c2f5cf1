package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * The Kubernetes backend against a real API server (Kubernetes 1.20, {@link KubeApiServer}), as Kiln's server's
 * ServiceAccount with only the permissions of {@code k8s/rbac.yaml}. {@link StandInKubelet} plays scheduler and
 * kubelet on three registered nodes: a CPU node and two A100 nodes, tainted as GPU pools are. Everything else is
 * real: validation, defaulting, server-side apply, graceful deletion, resource versions, RBAC.
 */
@ExtendWith(RealApiServer.class)
class KubernetesBackendIT {
    static final MachineCatalog CATALOG = MachineCatalog.defaults();
    static final String A100 = "NVIDIA-A100-SXM4-80GB";

    static KubeApiServer cluster;
    static KubernetesClient admin;
    static KubernetesClient server;
    static StandInKubelet kubelet;

    // The API server stamps objects with the real time, so the test's clock starts there and moves on by hand.
    final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
    final Clock clock = new Clock() {
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId zone) { return this; }
        @Override public Instant instant() { return now.get(); }
    };
    final List<Phase> phases = new ArrayList<>();
    StudioMachineSpec spec;
    DesiredMachine desired;
    MachineReconciler<StudioMachineSpec> reconciler;

    @BeforeAll
    static void controlPlane(KubeApiServer apiServer) {
        cluster = apiServer;
        admin = apiServer.adminClient();
        server = apiServer.serverClient();
        kubelet = new StandInKubelet(admin);
        TestCluster.prepare(admin, kubelet);
    }

    @BeforeEach
    void studio(org.junit.jupiter.api.TestInfo test) {
        spec = TestCluster.spec(test);
        reconciler = reconciler(server);
    }

    @AfterEach
    void noPodsLeft() {
        kubelet.behaviour = StandInKubelet.Behaviour.RUN;
        kubelet.removeAllPods();
    }

    MachineReconciler<StudioMachineSpec> reconciler(KubernetesClient client) {
        return new MachineReconciler<>(new KubernetesMachineBackend(client, CATALOG),
                new MachinePlanner(Duration.ofMinutes(5)), clock);
    }

    /** Reconciles and lets the stand-in kubelet act until nothing changes, recording the phases a user would see. */
    MachinePlan settle() {
        MachinePlan plan = null;
        for (int i = 0; i < 30; i++) {
            plan = reconciler.reconcile(spec, desired, d -> desired = d);
            if (phases.isEmpty() || phases.getLast() != plan.phase()) {
                phases.add(plan.phase());
            }
            kubelet.tick();
            if (plan.steps().isEmpty() && (plan.phase() == Phase.READY || plan.phase() == Phase.FAILED
                    || plan.phase() == Phase.STOPPED || plan.phase() == Phase.SCHEDULING
                    && plan.detail().startsWith("Waiting for room"))) {
                return plan;
            }
        }
        return plan;
    }

    List<Pod> pods() {
        return admin.pods().inNamespace(spec.namespace()).withLabel(StudioPodFactory.LABEL_STUDIO, spec.studioId())
                .list().getItems();
    }

    String volumeUid() {
        return admin.persistentVolumeClaims().inNamespace(spec.namespace()).withName(spec.volumeName()).get()
                .getMetadata().getUid();
    }

    @Test
    void aStudioStartsOnCpuSwitchesToAnA100AndBackWithItsVolumeKept() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).singleElement().satisfies(pod -> {
            assertThat(pod.getSpec().getNodeName()).isEqualTo("cpu-1");
            // What the API server filled in, which the mock never did.
            assertThat(pod.getStatus().getQosClass()).as("requests equal limits").isEqualTo("Guaranteed");
            assertThat(pod.getSpec().getSchedulerName()).isEqualTo("default-scheduler");
            assertThat(pod.getSpec().getServiceAccountName()).isEqualTo("default");
        });
        String volume = volumeUid();

        phases.clear();
        desired = desired.switchTo("a100-80gb");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        // No agents here to ask to save work (tested with real agents in studio-server): the old pod goes at once.
        assertThat(phases).containsSubsequence(Phase.STOPPING_OLD_MACHINE, Phase.SCHEDULING, Phase.PULLING_IMAGE,
                Phase.READY);
        assertThat(pods()).singleElement().satisfies(pod -> {
            assertThat(pod.getMetadata().getName()).isEqualTo(spec.podName(2));
            assertThat(pod.getSpec().getNodeName()).startsWith("a100-");
            assertThat(pod.getSpec().getContainers().getFirst().getResources().getLimits().get("nvidia.com/gpu"))
                    .hasToString("1");
            assertThat(pod.getMetadata().getOwnerReferences()).singleElement().satisfies(owner -> {
                assertThat(owner.getKind()).isEqualTo("ConfigMap");
                assertThat(owner.getName()).isEqualTo(spec.anchorName());
            });
        });

        desired = desired.switchTo("cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).extracting(p -> p.getMetadata().getName()).containsExactly(spec.podName(3));
        assertThat(volumeUid()).as("the same volume claim all along").isEqualTo(volume);
    }

    /**
     * The server's path: observation from informer caches, which lag behind the API server by a watch event. The
     * switch still ends with one pod of each generation in turn and the same volume.
     */
    @Test
    void theSameSwitchObservedFromInformerCaches() {
        try (var caches = new InformedClusterView(server, spec.namespace(), () -> {})) {
            reconciler = new MachineReconciler<>(new KubernetesMachineBackend(server, CATALOG, null, caches),
                    new MachinePlanner(Duration.ofMinutes(5)), clock);
            desired = DesiredMachine.running(spec.studioId(), "cpu-8");
            assertThat(settleFromCaches().phase()).isEqualTo(Phase.READY);
            String volume = volumeUid();
            desired = desired.switchTo("a100-80gb");
            assertThat(settleFromCaches().phase()).isEqualTo(Phase.READY);
            assertThat(pods()).singleElement().satisfies(pod -> {
                assertThat(pod.getMetadata().getName()).isEqualTo(spec.podName(2));
                assertThat(pod.getSpec().getNodeName()).startsWith("a100-");
            });
            assertThat(volumeUid()).isEqualTo(volume);
        }
    }

    /**
     * A cache that has not seen the studio's new pod yet plans another one. Creating a pod is the one step whose
     * repetition would do harm (two machines on one volume): it checks the API itself and leaves the pod alone.
     */
    @Test
    void aCacheThatHasNotSeenTheNewPodYetNeverDoublesIt() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        var api = new DirectClusterView(server, spec.namespace());
        ClusterView lagging = new ClusterView() {
            @Override public io.fabric8.kubernetes.api.model.ConfigMap anchor(StudioMachineSpec s) { return api.anchor(s); }
            @Override public io.fabric8.kubernetes.api.model.PersistentVolumeClaim volume(StudioMachineSpec s) { return api.volume(s); }
            @Override public List<Pod> studioPods(StudioMachineSpec s) { return List.of(); }
            @Override public List<Pod> machinePods() { return List.of(); }
            @Override public List<io.fabric8.kubernetes.api.model.Node> nodes() { return api.nodes(); }
            @Override public List<Pod> allPods() { return api.allPods(); }
            @Override public io.fabric8.kubernetes.api.model.PersistentVolume persistentVolume(String name) { return api.persistentVolume(name); }
            @Override public void close() {}
        };
        var fromLaggingCache = new MachineReconciler<>(new KubernetesMachineBackend(server, CATALOG, null, lagging),
                new MachinePlanner(Duration.ofMinutes(5)), clock);
        MachinePlan plan = fromLaggingCache.reconcile(spec, desired, d -> desired = d);
        assertThat(plan.steps()).as("planned from what the cache shows").singleElement()
                .isInstanceOf(dev.kiln.machine.plan.MachineStep.CreatePod.class);
        assertThat(pods()).as("still the one machine").extracting(p -> p.getMetadata().getName())
                .containsExactly(spec.podName(1));
    }

    /** As {@link #settle()}, giving the informers time to hear of each change. */
    MachinePlan settleFromCaches() {
        MachinePlan plan = null;
        for (int i = 0; i < 300; i++) {
            plan = reconciler.reconcile(spec, desired, d -> desired = d);
            kubelet.tick();
            if (plan.steps().isEmpty() && plan.phase() == Phase.READY) {
                return plan;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return plan;
            }
        }
        return plan;
    }

    @Test
    void aSwitchWithNoFreeA100IsRefusedBeforeTheRunningMachineIsStopped() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        settle();
        // Other work holds both A100s (pods in another namespace, which the capacity check must see too).
        TestCluster.occupyA100s(admin, kubelet, 2);

        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = reconciler.reconcile(spec, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).startsWith("No A100 80GB free right now: all 2 matching nodes are full");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).extracting(p -> p.getMetadata().getName())
                .as("the running machine was never stopped").containsExactly(spec.podName(1));
    }

    @Test
    void aPodTheSchedulerCannotPlaceWaitsWithTheSchedulersReasonThenGoesBack() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        settle();
        desired = desired.switchTo("a100-80gb");
        // The capacity check passes and the old machine goes; before the new pod is placed, other work takes both
        // A100s (a race the check cannot close), so the scheduler says why it waits.
        for (int i = 0; i < 10; i++) {
            reconciler.reconcile(spec, desired, d -> desired = d);
            if (pods().stream().anyMatch(p -> p.getMetadata().getName().equals(spec.podName(2)))) {
                break;
            }
            kubelet.tick();
        }
        TestCluster.occupyA100s(admin, kubelet, 2);
        MachinePlan plan = settle();
        assertThat(plan.phase()).isEqualTo(Phase.SCHEDULING);
        assertThat(plan.detail()).isEqualTo("Waiting for room: 0/3 nodes are available: 2 Insufficient nvidia.com/gpu,"
                + " 1 node(s) didn't match node selector.");

        now.set(now.get().plus(Duration.ofMinutes(6)));
        plan = reconciler.reconcile(spec, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).startsWith("No a100-80gb machine could be scheduled: 0/3 nodes are available");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).singleElement().satisfies(pod -> {
            assertThat(pod.getMetadata().getLabels()).containsEntry(StudioPodFactory.LABEL_MACHINE_TYPE, "cpu-8");
            assertThat(pod.getMetadata().getName()).isEqualTo(spec.podName(3));
        });
    }

    @Test
    void aCrashLoopingMachineGoesBackWithTheReason() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        settle();
        kubelet.behaviour = StandInKubelet.Behaviour.CRASH_LOOP;
        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = settle();
        assertThat(plan.phase()).isEqualTo(Phase.STARTING_AGENT);
        assertThat(plan.detail()).startsWith("The machine keeps restarting: CrashLoopBackOff: back-off 40s");

        kubelet.behaviour = StandInKubelet.Behaviour.RUN;
        now.set(now.get().plus(Duration.ofMinutes(6)));
        plan = reconciler.reconcile(spec, desired, d -> desired = d);
        assertThat(plan.phase()).isEqualTo(Phase.REVERTING);
        assertThat(plan.detail()).contains("kept crashing").contains("CrashLoopBackOff");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).extracting(p -> p.getMetadata().getLabels().get(StudioPodFactory.LABEL_MACHINE_TYPE))
                .containsExactly("cpu-8");
    }

    @Test
    void anImageThatCannotBePulledGoesBackAfterThePatience() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        settle();
        kubelet.behaviour = StandInKubelet.Behaviour.IMAGE_PULL_FAILS;
        desired = desired.switchTo("a100-80gb");
        MachinePlan plan = settle();
        assertThat(plan.phase()).isEqualTo(Phase.PULLING_IMAGE);
        assertThat(plan.detail()).contains("ImagePullBackOff");

        kubelet.behaviour = StandInKubelet.Behaviour.RUN;
        now.set(now.get().plus(Duration.ofMinutes(6)));
        assertThat(reconciler.reconcile(spec, desired, d -> desired = d).detail()).contains("could not be pulled");
        assertThat(settle().phase()).isEqualTo(Phase.READY);
        assertThat(pods()).extracting(p -> p.getMetadata().getName()).containsExactly(spec.podName(3));
    }

    @Test
    void aNewServerMidSwitchCarriesOnFromWhatTheClusterHolds() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-8");
        settle();
        desired = desired.switchTo("a100-80gb");
        assertThat(reconciler.reconcile(spec, desired, d -> desired = d).phase()).isEqualTo(Phase.STOPPING_OLD_MACHINE);
        // The old pod is terminating (a real graceful deletion: it stays until its kubelet confirms).
        assertThat(pods()).singleElement().satisfies(pod -> assertThat(pod.getMetadata().getDeletionTimestamp())
                .isNotNull());

        // A new server: its own client, backend and reconciler; nothing remembered but the desired state.
        try (KubernetesClient next = cluster.serverClient()) {
            reconciler = reconciler(next);
            assertThat(reconciler.reconcile(spec, desired, d -> desired = d).phase())
                    .as("waits for the old machine, never two at once").isEqualTo(Phase.STOPPING_OLD_MACHINE);
            assertThat(settle().phase()).isEqualTo(Phase.READY);
        }
        assertThat(pods()).extracting(p -> p.getMetadata().getName()).containsExactly(spec.podName(2));
        assertThat(admin.persistentVolumeClaims().inNamespace(spec.namespace())
                .withLabel(StudioPodFactory.LABEL_STUDIO, spec.studioId()).list().getItems()).hasSize(1);
    }

    /** The server stops a deleted studio's machine with the desired type "-", which no catalog has. */
    @Test
    void theMachineOfADeletedStudioIsStoppedThoughItsDesiredTypeIsNoType() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-2");
        settle();
        desired = new DesiredMachine(spec.studioId(), "-", false, null);
        assertThat(settle().phase()).isEqualTo(Phase.STOPPED);
        assertThat(pods()).isEmpty();
    }

    @Test
    void theHomeVolumeClaimIsWhatTheApiServerAcceptsAndKeepsItsDefaults() {
        desired = DesiredMachine.running(spec.studioId(), "cpu-2");
        settle();
        var claim = admin.persistentVolumeClaims().inNamespace(spec.namespace()).withName(spec.volumeName()).get();
        assertThat(claim.getMetadata().getFinalizers()).as("the API server protects a claim in use")
                .contains("kubernetes.io/pvc-protection");
        assertThat(claim.getSpec().getVolumeMode()).isEqualTo("Filesystem");
        // A later pass re-applies nothing it does not own; the claim stays the same object.
        desired = desired.switchTo("cpu-8");
        settle();
        assertThat(volumeUid()).isEqualTo(claim.getMetadata().getUid());
        assertThat(Map.copyOf(admin.configMaps().inNamespace(spec.namespace()).withName(spec.anchorName()).get()
                .getMetadata().getAnnotations())).containsEntry(KubernetesMachineBackend.LAST_GENERATION, "2");
    }
}
