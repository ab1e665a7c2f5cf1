package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import dev.kiln.machine.plan.TryAgainSoon;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.http.AsyncBody;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.HttpResponse;
import io.fabric8.kubernetes.client.http.Interceptor;

/**
 * The Kubernetes backend as the server uses it ({@link KubernetesStudioMachines}: informer, agent tokens in
 * Secrets, readiness once the agent is home) against a real API server and controller manager, as the server's
 * ServiceAccount. The agents' side is the real {@link AgentRegistry}; {@link StandInKubelet} runs the pods.
 */
@ExtendWith(RealApiServer.class)
class KubernetesStudioMachinesIT {
    static final MachineCatalog CATALOG = MachineCatalog.defaults();

    static KubeApiServer cluster;
    static KubernetesClient admin;
    static StandInKubelet kubelet;

    StudioMachineSpec spec;
    KubernetesStudioMachines.Settings settings;
    DesiredMachine desired;

    @BeforeAll
    static void controlPlane(KubeApiServer apiServer) {
        cluster = apiServer;
        admin = apiServer.adminClient();
        kubelet = new StandInKubelet(admin);
        TestCluster.prepare(admin, kubelet);
    }

    @BeforeEach
    void studio(TestInfo test) {
        spec = TestCluster.spec(test);
        settings = new KubernetesStudioMachines.Settings(spec.namespace(), spec.image(), spec.serverUrl(),
                spec.volumeSize(), spec.storageClass());
    }

    @AfterEach
    void noPodsLeft() {
        kubelet.removeAllPods();
    }

    MachinePlan settle(MachineReconciler<String> reconciler, Phase until) {
        MachinePlan plan = null;
        for (int i = 0; i < 20; i++) {
            plan = reconciler.reconcile(spec.studioId(), desired, d -> desired = d);
            if (plan.phase() == until && plan.steps().isEmpty()) {
                return plan;
            }
            kubelet.tick();
        }
        return plan;
    }

    static MachineReconciler<String> reconciler(KubernetesStudioMachines machines) {
        return new MachineReconciler<>(machines, new MachinePlanner(Duration.ofMinutes(5)), Clock.systemUTC());
    }

    String secretToken() {
        Secret secret = admin.secrets().inNamespace(spec.namespace()).withName(spec.tokenSecretName()).get();
        return new String(Base64.getDecoder().decode(secret.getData().get("token")), StandardCharsets.UTF_8);
    }

    @Test
    void aPodIsReadyOnlyOnceItsAgentIsHomeAndItsTokenSurvivesAServerRestart() {
        var agents = new AgentRegistry();
        var woken = new AtomicInteger();
        try (KubernetesClient server = cluster.serverClient()) {
            var machines = new KubernetesStudioMachines(server, CATALOG, agents, settings);
            machines.onChange(woken::incrementAndGet);
            try {
                assertThat(machines.offerable()).extracting(t -> t.id()).contains("cpu-8", "a100-80gb")
                        .doesNotContain("h100", "t4");
                assertThat(machines.whyNot(CATALOG.require("h100"))).contains("no node");

                var reconciler = reconciler(machines);
                desired = DesiredMachine.running(spec.studioId(), "cpu-8");
                assertThat(settle(reconciler, Phase.STARTING_AGENT).phase()).as("the pod runs, but no agent yet")
                        .isEqualTo(Phase.STARTING_AGENT);
                String token = secretToken();
                var identity = agents.authenticate(token).orElseThrow();
                assertThat(identity.generation()).isEqualTo(1);
                var pod = admin.pods().inNamespace(spec.namespace()).withName(spec.podName(1)).get();
                assertThat(pod.getSpec().getContainers().getFirst().getEnv().toString()).doesNotContain(token);
                assertThat(pod.getSpec().getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement()
                        .satisfies(v -> {
                            assertThat(v.getSecret().getSecretName()).isEqualTo(spec.tokenSecretName());
                            assertThat(v.getSecret().getDefaultMode()).as("0400").isEqualTo(0400);
                        });

                agents.connected(identity);
                assertThat(reconciler.reconcile(spec.studioId(), desired, d -> desired = d).phase())
                        .isEqualTo(Phase.SYNCING);
                agents.synced(identity);
                assertThat(reconciler.reconcile(spec.studioId(), desired, d -> desired = d).phase())
                        .isEqualTo(Phase.READY);
                await().atMost(Duration.ofSeconds(10)).until(() -> woken.get() > 0
                        && machines.studiosWithMachines().contains(spec.studioId()));

                var afterRestart = new AgentRegistry();
                KubernetesStudioMachines.restoreTokens(server, spec.namespace(), afterRestart);
                assertThat(afterRestart.authenticate(token)).contains(identity);

                // Stopped, the machine's token is dead, and a restart does not bring it back from its Secret.
                desired = desired.stopped();
                assertThat(settle(reconciler, Phase.STOPPED).phase()).isEqualTo(Phase.STOPPED);
                assertThat(agents.authenticate(token)).isEmpty();
                assertThat(secretToken()).as("the Secret still holds it").isEqualTo(token);
                var afterAnotherRestart = new AgentRegistry();
                KubernetesStudioMachines.restoreTokens(server, spec.namespace(), afterAnotherRestart);
                assertThat(afterAnotherRestart.authenticate(token)).isEmpty();
            } finally {
                machines.shutdown();
            }
        }
    }

    @Test
    void aDeletedStudiosPodVolumeClaimAndTokenSecretAreRemovedByTheGarbageCollector() {
        var agents = new AgentRegistry();
        try (KubernetesClient server = cluster.serverClient()) {
            var machines = new KubernetesStudioMachines(server, CATALOG, agents, settings);
            try {
                desired = DesiredMachine.running(spec.studioId(), "cpu-2");
                settle(reconciler(machines), Phase.STARTING_AGENT);
                assertThat(admin.pods().inNamespace(spec.namespace()).withName(spec.podName(1)).get().getSpec()
                        .getNodeName()).as("running on a node").isEqualTo("cpu-1");
                String token = secretToken();

                machines.discard(spec.studioId());

                // The controller manager's garbage collector follows the owner references; the pod's deletion is
                // graceful (its kubelet confirms it), and the claim waits for its pod (pvc-protection).
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
                    kubelet.tick();
                    assertThat(admin.configMaps().inNamespace(spec.namespace()).withName(spec.anchorName()).get())
                            .isNull();
                    assertThat(admin.pods().inNamespace(spec.namespace()).withName(spec.podName(1)).get()).isNull();
                    assertThat(admin.secrets().inNamespace(spec.namespace()).withName(spec.tokenSecretName()).get())
                            .isNull();
                    assertThat(admin.persistentVolumeClaims().inNamespace(spec.namespace())
                            .withName(spec.volumeName()).get()).isNull();
                });
                var afterRestart = new AgentRegistry();
                KubernetesStudioMachines.restoreTokens(server, spec.namespace(), afterRestart);
                assertThat(afterRestart.authenticate(token)).as("a deleted studio's token is not restored").isEmpty();
            } finally {
                machines.shutdown();
            }
        }
    }

    /**
     * Two servers on one studio at once (the old one not quite gone after a restart): the old one plans a machine
     * from the user's earlier choice (an A100) while the new one places the newer choice (CPU) under the same
     * generation. The old server's write of the anchor carries the resourceVersion it read, so the API server refuses
     * it with 409; the pass ends there (requeued, not retried in place) and the next one finds the generation taken
     * and leaves it alone: one pod,
     * the newer choice, with the new server's token.
     */
    @Test
    void aStaleServersWriteIsRefusedWith409AndNeverTakesAGenerationAlreadyUsed() {
        var oldAgents = new AgentRegistry();
        var newAgents = new AgentRegistry();
        var armed = new AtomicBoolean();
        var refused = new AtomicInteger();
        try (KubernetesClient newClient = cluster.serverClient()) {
            var next = new KubernetesStudioMachines(newClient, CATALOG, newAgents, settings);
            var nextReconciler = reconciler(next);
            var newDesired = new AtomicReference<>(DesiredMachine.running(spec.studioId(), "cpu-2"));
            // The studio's anchor and volume exist; it has no machine yet.
            nextReconciler.reconcile(spec.studioId(), newDesired.get().stopped(), d -> {});
            // Just before the old server's first write of the anchor reaches the API server, the new server does a
            // whole pass of its own.
            Interceptor race = new Interceptor() {
                @Override
                public void before(BasicBuilder builder, HttpRequest request, Interceptor.RequestTags tags) {
                    if (!request.method().equals("GET") && request.uri().getPath().endsWith("/configmaps/"
                            + spec.anchorName()) && armed.compareAndSet(true, false)) {
                        runElsewhere(() -> nextReconciler.reconcile(spec.studioId(), newDesired.get(), newDesired::set));
                    }
                }

                @Override
                public void after(HttpRequest request, HttpResponse<?> response,
                                  AsyncBody.Consumer<List<ByteBuffer>> consumer) {
                    if (response.code() == 409) {
                        refused.incrementAndGet();
                    }
                }
            };
            try (KubernetesClient oldClient = cluster.serverClient(http -> http.addOrReplaceInterceptor("race", race))) {
                var old = new KubernetesStudioMachines(oldClient, CATALOG, oldAgents, settings);
                try {
                    desired = DesiredMachine.running(spec.studioId(), "a100-80gb");
                    armed.set(true);
                    assertThatThrownBy(() -> reconciler(old).reconcile(spec.studioId(), desired, d -> desired = d))
                            .as("the refused write ends the pass; the next one plans from what is there then")
                            .isInstanceOf(TryAgainSoon.class).hasMessageContaining("CreatePod");
                    assertThat(armed).as("the race happened").isFalse();
                    assertThat(refused).as("the API server refused the stale write").hasPositiveValue();

                    assertThat(admin.pods().inNamespace(spec.namespace())
                            .withLabel(StudioPodFactory.LABEL_STUDIO, spec.studioId()).list().getItems())
                            .singleElement().satisfies(pod -> {
                                assertThat(pod.getMetadata().getName()).isEqualTo(spec.podName(1));
                                assertThat(pod.getMetadata().getLabels()).as("the newer choice")
                                        .containsEntry(StudioPodFactory.LABEL_MACHINE_TYPE, "cpu-2");
                            });
                    assertThat(newAgents.authenticate(secretToken())).as("the pod's token is the new server's")
                            .isPresent();

                    // The old server's next pass sees the machine as it is (and would replace it by its own
                    // choice under a new generation, never the same one).
                    kubelet.tick();
                    assertThat(reconciler(old).reconcile(spec.studioId(), desired, d -> desired = d).steps())
                            .noneMatch(step -> step instanceof dev.kiln.machine.plan.MachineStep.CreatePod create
                                    && create.generation() == 1);
                } finally {
                    old.shutdown();
                    next.shutdown();
                }
            }
        }
    }

    /** Runs a blocking action on a thread of its own and waits for it (not on the HTTP client's own threads). */
    private static void runElsewhere(Runnable action) {
        var failure = new AtomicReference<Throwable>();
        Thread thread = Thread.ofPlatform().start(() -> {
            try {
                action.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        try {
            thread.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("the other server's pass failed", failure.get());
        }
    }
}
