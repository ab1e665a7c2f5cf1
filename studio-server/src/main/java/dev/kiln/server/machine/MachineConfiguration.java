package dev.kiln.server.machine;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.local.LocalProcessBackend;
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

/** The local machine backend (the embedded default), its agents' endpoint, and the reconciler between them. */
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
        workspaces.onCommit(studioId -> channel.send(studioId, java.util.Map.of("type", "sync")));
        return channel;
    }

    @Bean
    MachineCatalog machineCatalog() {
        return MachineCatalog.localDefaults();
    }

    @Bean
    LocalProcessBackend localProcessBackend(KilnProperties properties, MachineCatalog catalog, AgentRegistry agents,
                                            @Lazy WebServerApplicationContext server, Clock clock) {
        // Agents dial home to this server on loopback; the port is known only once the server has started.
        return new LocalProcessBackend(properties.dataDir().resolve("machines"), catalog, agents,
                () -> "http://127.0.0.1:" + server.getWebServer().getPort(), clock);
    }

    @Bean
    MachineService machineService(MachineRepository repository, StudioAccess access, MachineCatalog catalog,
                                  LocalProcessBackend backend, Clock clock, StudioActivity activity,
                                  @Value("${kiln.machine.start-timeout:2m}") Duration startTimeout,
                                  @Value("${kiln.machine.idle-stop:30m}") Duration idleStop) {
        return new MachineService(repository, access, catalog, backend,
                new MachineReconciler<>(backend, new MachinePlanner(startTimeout,
                        id -> catalog.find(id).map(t -> t.displayName()).orElse(id)), clock), clock, activity, idleStop);
    }

    @Override
    public void registerWebSocketHandlers(WebSocketHandlerRegistry registry) {
        registry.addHandler(agentSocket, "/agent").addInterceptors(agentSocket);
    }
}
