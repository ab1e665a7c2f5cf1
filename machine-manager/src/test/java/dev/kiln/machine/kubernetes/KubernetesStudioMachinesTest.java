package dev.kiln.machine.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.plan.DesiredMachine;
import dev.kiln.machine.plan.MachinePlan;
import dev.kiln.machine.plan.MachinePlan.Phase;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;

/**
 * The Kubernetes backend as the server uses it (informer, agent tokens, readiness), on its own mock server: the
 * informer's watch stays apart from the other tests' requests.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesStudioMachinesTest {
    static KubernetesClient client;
    DesiredMachine desired;

    @Test
    void throughTheServersSeamAPodIsReadyOnlyOnceItsAgentIsHomeAndTokensSurviveARestart() throws Exception {
        var cluster = new FakeCluster(client);
        cluster.addNode("cpu-1", Map.of("kubernetes.io/os", "linux"), 0, false);
        cluster.addNode("gpu-1", Map.of("nvidia.com/gpu.product", "NVIDIA-A100-SXM4-80GB"), 1, true);
        var agents = new dev.kiln.machine.agent.AgentRegistry();
        var settings = new KubernetesStudioMachines.Settings("kiln", "ghcr.io/kiln-dev/machine:0.1.0",
                "https://kiln.example.com", "50Gi", null);
        var woken = new java.util.concurrent.atomic.AtomicInteger();
        var machines = new KubernetesStudioMachines(client, MachineCatalog.defaults(), agents, settings);
        machines.onChange(woken::incrementAndGet);
        try {
            assertThat(machines.offerable()).extracting(t -> t.id()).contains("cpu-8", "a100-80gb")
                    .doesNotContain("h100", "t4");
            assertThat(machines.whyNot(MachineCatalog.defaults().require("h100"))).contains("no node");

            var studio = new MachineReconciler<>(machines, new MachinePlanner(Duration.ofMinutes(5)), Clock.systemUTC());
            desired = DesiredMachine.running("s1", "cpu-8");
            MachinePlan plan = null;
            for (int i = 0; i < 6; i++) {
                plan = studio.reconcile("s1", desired, d -> desired = d);
                cluster.tick();
            }
            assertThat(plan.phase()).as("the pod runs, but no agent yet").isEqualTo(Phase.STARTING_AGENT);
            var secret = client.secrets().inNamespace("kiln").withName("kiln-studio-s1-agent").get();
            String token = secret.getStringData() != null ? secret.getStringData().get("token")
                    : new String(java.util.Base64.getDecoder().decode(secret.getData().get("token")));
            var identity = agents.authenticate(token).orElseThrow();
            assertThat(identity.generation()).isEqualTo(1);
            assertThat(client.pods().inNamespace("kiln").withName("kiln-studio-s1-g1").get().getSpec().getContainers()
                    .getFirst().getEnv().toString()).doesNotContain(token);

            agents.connected(identity);
            assertThat(studio.reconcile("s1", desired, d -> desired = d).phase()).isEqualTo(Phase.SYNCING);
            agents.synced(identity);
            assertThat(studio.reconcile("s1", desired, d -> desired = d).phase()).isEqualTo(Phase.READY);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> woken.get() > 0);
            assertThat(machines.studiosWithMachines()).containsExactly("s1");

            var afterRestart = new dev.kiln.machine.agent.AgentRegistry();
            KubernetesStudioMachines.restoreTokens(client, "kiln", afterRestart);
            assertThat(afterRestart.authenticate(token)).contains(identity);
        } finally {
            machines.shutdown();
        }
    }
}
