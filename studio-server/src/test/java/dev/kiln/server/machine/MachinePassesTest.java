package dev.kiln.server.machine;

import dev.kiln.machine.MachineBackend;
import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.catalog.MachineCatalog;
import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.fake.FakeMachineBackend;
import dev.kiln.machine.plan.MachineStep;
import dev.kiln.machine.plan.ObservedMachine;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.server.studio.StudioService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Studios are reconciled each on its own: a studio whose backend hangs (an API server that does not answer, a
 * disk that blocks) holds up nobody else's machine, neither the periodic passes nor a person's switch.
 */
@SpringBootTest(properties = "kiln.machine.backend=fake")
class MachinePassesTest {

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    /** The fake backend, except that observing one chosen studio waits until the test lets it go. */
    static final class HangingBackend implements MachineBackend {
        final FakeMachineBackend fake;
        volatile String hanging;
        final CountDownLatch release = new CountDownLatch(1);

        HangingBackend(FakeMachineBackend fake) {
            this.fake = fake;
        }

        @Override
        public ObservedMachine observe(String studio, String desiredType) {
            if (studio.equals(hanging)) {
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return fake.observe(studio, desiredType);
        }

        @Override
        public void perform(String studio, MachineStep step) {
            fake.perform(studio, step);
        }

        @Override
        public List<MachineType> offerable() {
            return fake.offerable();
        }

        @Override
        public String whyNot(MachineType type) {
            return fake.whyNot(type);
        }

        @Override
        public Set<String> studiosWithMachines() {
            return fake.studiosWithMachines();
        }

        @Override
        public void onChange(Runnable listener) {
            fake.onChange(listener);
        }

        @Override
        public void shutdown() {
            release.countDown();
        }
    }

    @TestConfiguration
    static class Backend {
        @Bean
        HangingBackend hangingBackend(MachineCatalog catalog, AgentRegistry agents, Clock clock) {
            return new HangingBackend(new FakeMachineBackend(catalog, agents, clock));
        }
    }

    @Autowired
    HangingBackend backend;
    @Autowired
    MachineService machines;
    @Autowired
    StudioService studios;
    @Autowired
    UserAccounts accounts;

    @AfterEach
    void letGo() {
        backend.release.countDown();
    }

    @Test
    void aStudioWhoseBackendHangsHoldsUpNobodyElse() throws Exception {
        ServerTestSupport.signIn(ServerTestSupport.newUser(accounts, "Pat Passes"));
        String stuck = studios.create("Stuck").id();
        String other = studios.create("Other").id();
        String type = machines.state(other).types().getFirst().id();
        backend.hanging = stuck;
        var principal = org.springframework.security.core.context.SecurityContextHolder.getContext().getAuthentication();
        // Threads of their own (the common pool may have a single thread on a small machine).
        var threads = java.util.concurrent.Executors.newCachedThreadPool();
        CompletableFuture.runAsync(() -> {
            org.springframework.security.core.context.SecurityContextHolder.getContext().setAuthentication(principal);
            machines.switchTo(stuck, type); // hangs in observe until released
        }, threads);
        Thread.sleep(500); // the stuck studio's switch, and the next periodic passes, are now waiting on the backend

        var started = CompletableFuture.supplyAsync(() -> {
            org.springframework.security.core.context.SecurityContextHolder.getContext().setAuthentication(principal);
            return machines.switchTo(other, type);
        }, threads);
        assertThat(started.get(10, TimeUnit.SECONDS).running()).isTrue();
        // The periodic passes go on for the other studio too: its pod is created and followed.
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.fake.steps().stream()
                .anyMatch(step -> step.startsWith(other + ":CreatePod")));
        assertThat(backend.fake.steps()).noneMatch(step -> step.startsWith(stuck + ":"));

        backend.release.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.fake.steps().stream()
                .anyMatch(step -> step.startsWith(stuck + ":CreatePod")));
    }
}
