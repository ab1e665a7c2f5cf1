package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.kubernetes.KubernetesStudioMachines;
import dev.kiln.machine.local.LocalProcessBackend;
import dev.kiln.machine.local.AgentRuntime;
import dev.kiln.machine.local.MachineSandbox;
import dev.kiln.server.studio.MachineIsolation;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import dev.kiln.machine.plan.MachinePlanner;
import dev.kiln.machine.plan.MachineReconciler;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.studio.StudioAccess;
import dev.kiln.server.studio.StudioActivity;
import dev.kiln.server.studio.Workspaces;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Lazy;
import org.springframework.web.socket.config.annotation.EnableWebSocket;
import org.springframework.web.socket.config.annotation.WebSocketConfigurer;
import org.springframework.web.socket.config.annotation.WebSocketHandlerRegistry;

import java.time.Clock;
import java.time.Duration;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The machine backend ({@code kiln.machine.backend}: local processes by default, or Kubernetes pods), its agents'
 * endpoint, and the reconciler between them.
 */
@Configuration(proxyBeanMethods = false)
@EnableWebSocket
class MachineConfiguration implements WebSocketConfigurer {

    private final AgentSocket agentSocket;

    MachineConfiguration(AgentRegistry agents, MachineChannel channel) {
        this.agentSocket = new AgentSocket(agents, channel);
    }

    @Bean
    static AgentRegistry agentRegistry() {
        return new AgentRegistry();
    }

    @Bean
    static MachineChannel machineChannel(AgentRegistry agents, Workspaces workspaces) {
        var channel = new MachineChannel(agents);
        // Machines follow the studio's files: every commit (a save, a write-back of live edits) asks for a fetch.
        workspaces.onCommit(studioId -> channel.send(studioId, new dev.kiln.machine.protocol.ToMachine.Sync()));
        return channel;
    }

    /** The catalog: a file when given (the ConfigMap mounted on a cluster), else the backend's defaults. */
    @Bean
    MachineCatalog machineCatalog(@Value("${kiln.machine.backend}") String backend,
                                  @Value("${kiln.machine.catalog:}") String file) {
        if (!file.isBlank()) {
            return MachineCatalog.load(java.nio.file.Path.of(file));
        }
        return "kubernetes".equals(backend) ? MachineCatalog.defaults() : MachineCatalog.localDefaults();
    }

    @Bean
    @ConditionalOnProperty(name = "kiln.machine.backend", havingValue = "kubernetes")
    KubernetesClient kubernetesClient() {
        return new KubernetesClientBuilder().build();
    }

    @Bean
    @ConditionalOnProperty(name = "kiln.machine.backend", havingValue = "kubernetes")
    KubernetesStudioMachines.Settings kubernetesSettings(@Value("${kiln.kubernetes.namespace}") String namespace,
                                                         @Value("${kiln.kubernetes.image}") String image,
                                                         @Value("${kiln.kubernetes.server-url}") String serverUrl,
                                                         @Value("${kiln.kubernetes.volume-size}") String volumeSize,
                                                         @Value("${kiln.kubernetes.storage-class:}") String storageClass) {
        return new KubernetesStudioMachines.Settings(namespace, image, serverUrl, volumeSize,
                storageClass.isBlank() ? null : storageClass);
    }

    @Bean
    @ConditionalOnProperty(name = "kiln.machine.backend", havingValue = "kubernetes")
    KubernetesStudioMachines kubernetesMachines(KubernetesClient client, MachineCatalog catalog, AgentRegistry agents,
                                                KubernetesStudioMachines.Settings settings) {
        return new KubernetesStudioMachines(client, catalog, agents, settings);
    }

    @Bean
    @ConditionalOnProperty(name = "kiln.machine.backend", havingValue = "local", matchIfMissing = true)
    LocalProcessBackend localProcessBackend(KilnProperties properties, MachineCatalog catalog, AgentRegistry agents,
                                            @Lazy WebServerApplicationContext server, Clock clock,
                                            @Value("${kiln.machine.local.agent-jvm-options:}") List<String> jvmOptions,
                                            @Value("${kiln.machine.local.sandbox:auto}") String sandboxSetting,
                                            @Value("${kiln.machine.local.environment:}") List<String> environment,
                                            @Value("${kiln.machine.local.runtime:}") String runtimeSetting) {
        Path machinesDir = properties.dataDir().resolve("machines");
        var runtime = machineRuntime(runtimeSetting);
        log.info("Local machines run from {}", runtime.description());
        var sandbox = MachineSandbox.forSetting(sandboxSetting, machinesDir, runtime);
        if (sandbox.unsandboxedReason() != null) {
            log.warn("{}", sandbox.unsandboxedReason());
        } else {
            log.info("Local machines run in bubblewrap sandboxes");
        }
        // Agents dial home to this server on loopback; the port is known only once the server has started.
        return new LocalProcessBackend(machinesDir, catalog, agents,
                () -> "http://127.0.0.1:" + server.getWebServer().getPort(), clock,
                jvmOptions.stream().filter(o -> !o.isBlank()).toList(), runtime, sandbox, variables(environment));
    }

    /**
     * The machine runtime local machines run from: {@code kiln.machine.local.runtime}, else the {@code machine-runtime}
     * folder beside kiln.jar (the build puts it there), else this JVM's classpath when it holds the agent and the
     * training runtime as plain classes (a development run from the build's classes).
     */
    static AgentRuntime machineRuntime(String setting) {
        if (setting != null && !setting.isBlank()) {
            return AgentRuntime.folder(Path.of(setting));
        }
        String classpath = System.getProperty("java.class.path");
        if (!classpath.contains(java.io.File.pathSeparator) && classpath.endsWith(".jar")) {
            Path beside = Path.of(classpath).toAbsolutePath().getParent().resolve("machine-runtime");
            if (java.nio.file.Files.isDirectory(beside)) {
                return AgentRuntime.folder(beside);
            }
            throw new IllegalStateException("No machine runtime beside " + classpath + " (looked for " + beside
                    + "). Local machines run from it: build Kiln with ./mvnw package, or set kiln.machine.local.runtime"
                    + " (KILN_MACHINE_LOCAL_RUNTIME) to the machine-runtime folder.");
        }
        return AgentRuntime.thisJvm();
    }

    /** {@code NAME=value} pairs an admin gives every local machine (nothing of the server's own environment is). */
    private static Map<String, String> variables(List<String> pairs) {
        var variables = new java.util.LinkedHashMap<String, String>();
        for (String pair : pairs) {
            if (pair.isBlank()) {
                continue;
            }
            int equals = pair.indexOf('=');
            if (equals < 1) {
                throw new IllegalArgumentException("kiln.machine.local.environment takes NAME=value pairs, not '"
                        + pair + "'");
            }
            variables.put(pair.substring(0, equals).strip(), pair.substring(equals + 1));
        }
        return variables;
    }

    /** Who may run code on machines: editors where machines are sandboxes, else owners only. */
    @Bean
    MachineIsolation machineIsolation(MachineBackend backend) {
        return new MachineIsolation(backend.unsandboxedReason());
    }

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MachineConfiguration.class);

    @Bean
    MachineService machineService(MachineRepository repository, StudioAccess access, MachineCatalog catalog,
                                  MachineBackend backend, AgentRegistry agents, Clock clock, StudioActivity activity,
                                  @Value("${kiln.machine.start-timeout:2m}") Duration startTimeout,
                                  @Value("${kiln.machine.idle-stop:30m}") Duration idleStop) {
        return new MachineService(repository, access, catalog, backend, agents,
                new MachineReconciler<>(backend, new MachinePlanner(startTimeout,
                        id -> catalog.find(id).map(t -> t.displayName()).orElse(id)), clock), clock, activity, idleStop);
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(agentSocket, "/agent").addInterceptors(agentSocket);
    }
}
