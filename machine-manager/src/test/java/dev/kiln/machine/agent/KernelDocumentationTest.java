package dev.kiln.machine.agent;

import tools.jackson.databind.json.JsonMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The documentation a Jupyter kernel's inspect_reply carries, as the browser gets it. */
class KernelDocumentationTest {
    private static final JsonMapper JSON = JsonMapper.shared();

    @Test
    void ipykernelsTerminalColoursAreRemoved() {
        // What ipykernel 6 sends for "len" (detail level 0).
        var content = JSON.createObjectNode().put("status", "ok").put("found", true);
        content.putObject("data").put("text/plain", "\u001B[0;31mSignature:\u001B[0m \u001B[0mlen\u001B[0m\u001B[0;34m(\u001B[0m"
                + "\u001B[0mobj\u001B[0m\u001B[0;34m,\u001B[0m \u001B[0;34m/\u001B[0m\u001B[0;34m)\u001B[0m\u001B[0;34m\u001B[0m"
                + "\u001B[0;34m\u001B[0m\u001B[0m\n\u001B[0;31mDocstring:\u001B[0m Return the number of items in a container.\n"
                + "\u001B[0;31mType:\u001B[0m      builtin_function_or_method");
        assertThat(KernelHost.documentation(content)).isEqualTo("Signature: len(obj, /)\n"
                + "Docstring: Return the number of items in a container.\nType:      builtin_function_or_method");
    }

    @Test
    void longDocumentationIsCutAt64KiB() {
        var content = JSON.createObjectNode();
        content.putObject("data").put("text/plain", "x".repeat(200_000));
        assertThat(KernelHost.documentation(content)).hasSize(64 * 1024 + 4).endsWith("\n...");
    }

    @Test
    void noTextIsEmpty() {
        assertThat(KernelHost.documentation(JSON.createObjectNode())).isEmpty();
    }
}
