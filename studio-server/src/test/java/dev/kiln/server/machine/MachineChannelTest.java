package dev.kiln.server.machine;

import java.util.ArrayList;
import java.util.List;

import dev.kiln.machine.agent.AgentRegistry;
import dev.kiln.machine.protocol.FromMachine;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class MachineChannelTest {

    /** Code on a machine can write its own hello; which studio and machine it is comes from its token alone. */
    @Test
    void aHelloSaysWhatItsTokenSaysWhateverItClaims() {
        var channel = new MachineChannel(new AgentRegistry());
        var heard = new ArrayList<FromMachine.Hello>();
        var studios = new ArrayList<String>();
        channel.on(FromMachine.Hello.class, (studioId, hello) -> {
            studios.add(studioId);
            heard.add(hello);
        });
        channel.received(new AgentRegistry.Identity("studio-a", 3),
                new FromMachine.Hello("studio-b", "cpu-2", 7, 2, 42, List.of()));
        assertThat(studios).containsExactly("studio-a");
        assertThat(heard).singleElement().satisfies(hello -> {
            assertThat(hello.studio()).isEqualTo("studio-a");
            assertThat(hello.generation()).isEqualTo(3);
            assertThat(hello.machineType()).isEqualTo("cpu-2");
        });
    }
}
