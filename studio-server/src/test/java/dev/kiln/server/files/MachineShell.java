package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.machine.MachineChannel;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Runs shell commands on a studio's machine as its terminal would (same user, same sandbox, in the home), through
 * the machine protocol's exec: what a person types, a test types here.
 */
public final class MachineShell implements AutoCloseable {
    private final MachineChannel channel;
    private final String studioId;
    private final Map<String, StringBuffer> output = new ConcurrentHashMap<>();
    private final Map<String, FromMachine.Exit> exits = new ConcurrentHashMap<>();
    private final MachineChannel.Subscription outputs;
    private final MachineChannel.Subscription ends;

    public MachineShell(MachineChannel channel, String studioId) {
        this.channel = channel;
        this.studioId = studioId;
        outputs = channel.on(FromMachine.Output.class, (studio, m) -> {
            if (studio.equals(studioId)) {
                output.computeIfAbsent(m.id(), id -> new StringBuffer()).append(m.data());
            }
        });
        ends = channel.on(FromMachine.Exit.class, (studio, m) -> {
            if (studio.equals(studioId)) {
                exits.put(m.id(), m);
            }
        });
    }

    /** Runs {@code command} with sh in the home and returns its output; fails the test if it does not exit 0. */
    public String sh(String command) {
        String id = "sh-" + UUID.randomUUID();
        assertThat(channel.send(studioId, new ToMachine.Exec(id, List.of("sh", "-c", command), null, Map.of())))
                .as("the machine is running").isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> exits.containsKey(id));
        String out = output.getOrDefault(id, new StringBuffer()).toString();
        assertThat(exits.get(id).code()).as("%s: %s", command, out).isZero();
        return out;
    }

    @Override
    public void close() {
        outputs.close();
        ends.close();
    }
}
