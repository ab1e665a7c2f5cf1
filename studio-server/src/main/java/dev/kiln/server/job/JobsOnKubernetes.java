package dev.kiln.server.job;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.kubernetes.IndexedJobs;
import dev.kiln.machine.kubernetes.KubernetesStudioMachines;
import dev.kiln.machine.kubernetes.KubernetesTrainingJobs;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;
import java.time.Duration;

/** On the Kubernetes backend, multi-node jobs become Indexed Jobs ({@code kiln.jobs.gang-timeout}: default 10 min). */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "kiln.machine.backend", havingValue = "kubernetes")
class JobsOnKubernetes {

    @Bean
    ClusterJobs clusterJobs(KubernetesClient client, AgentRegistry agents, KubernetesStudioMachines.Settings settings,
                            Clock clock, @Value("${kiln.jobs.gang-timeout:10m}") Duration gangTimeout) {
        return new ClusterJobs(new IndexedJobs(client, new KubernetesTrainingJobs(client, agents, clock, gangTimeout),
                agents, settings.namespace()), settings, clock);
    }
}
