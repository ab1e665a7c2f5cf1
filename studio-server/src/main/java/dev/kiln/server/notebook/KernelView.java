package dev.kiln.server.notebook;

import tools.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * What a notebook shows of its kernel: its state ({@code none} before the first run, then starting, idle, busy,
 * restarting, dead), which kernelspec, a sentence when something went wrong, and the kernels the machine offers.
 */
public record KernelView(String state, String spec, String displayName, String language, String detail,
                         List<Spec> specs) {

    /** A kernel the machine can start (a Jupyter kernelspec, or Kiln's Java kernel). */
    public record Spec(String name, String displayName, String language) {}

    public KernelView {
        specs = specs == null ? List.of() : List.copyOf(specs);
    }

    public static KernelView none(List<Spec> specs) {
        return new KernelView("none", null, null, null, null, specs);
    }

    public KernelView with(String newState, String newDetail) {
        return new KernelView(newState, spec, displayName, language, newDetail, specs);
    }

    public KernelView withSpecs(List<Spec> list) {
        return new KernelView(state, spec, displayName, language, detail, list);
    }

    ObjectNode toJson() {
        var node = Notebook.JSON.createObjectNode();
        node.put("state", state);
        node.put("spec", spec);
        node.put("displayName", displayName);
        node.put("language", language);
        node.put("detail", detail);
        var list = node.putArray("specs");
        for (var s : specs) {
            list.addObject().put("name", s.name()).put("displayName", s.displayName()).put("language", s.language());
        }
        return node;
    }
}
