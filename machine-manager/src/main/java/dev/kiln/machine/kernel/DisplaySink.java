package dev.kiln.machine.kernel;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.function.Consumer;

/**
 * Rich outputs from the notebook display API, as JSON text: {@code {"kind":"display"|"update"|"clear", "data":
 * {mime: value}, "metadata": {}, "id": display id, "wait": bool}}. Text, so the API needs nothing of the kernel's
 * classes (it is loaded by another class loader).
 */
final class DisplaySink implements Consumer<String> {
    private final KernelServer.Outputs outputs;

    DisplaySink(KernelServer.Outputs outputs) {
        this.outputs = outputs;
    }

    @Override
    public void accept(String json) {
        JsonNode node;
        try {
            node = JupyterMessage.JSON.readTree(json);
        } catch (RuntimeException e) {
            KernelLog.say("kiln-kernel: a display that is not JSON: " + e.getMessage());
            return;
        }
        String kind = node.path("kind").asString("display");
        if (kind.equals("clear")) {
            outputs.clear(node.path("wait").asBoolean(false));
            return;
        }
        if (!node.path("data").isObject()) {
            return;
        }
        outputs.display((ObjectNode) node.get("data"), node.path("metadata").isObject() ? (ObjectNode) node.get("metadata")
                : null, node.path("id").asString(null), kind.equals("update"));
    }
}
