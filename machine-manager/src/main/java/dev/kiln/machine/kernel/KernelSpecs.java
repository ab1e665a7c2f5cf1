package dev.kiln.machine.kernel;

import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The kernels installed on this machine, found where Jupyter looks ({@code jupyter kernelspec list}):
 * {@code $JUPYTER_PATH}, {@code $JUPYTER_DATA_DIR} or {@code ~/.local/share/jupyter}, then
 * {@code /usr/local/share/jupyter} and {@code /usr/share/jupyter}, each with a {@code kernels/<name>/kernel.json};
 * the first of a name wins. Kiln's Java kernel comes first, whatever is installed.
 */
public final class KernelSpecs {
    private KernelSpecs() {}

    /** Every kernelspec found, by name; a malformed kernel.json is skipped (and said on standard error). */
    public static Map<String, KernelSpec> discover(Path home, Map<String, String> env, KernelSpec java) {
        var specs = new LinkedHashMap<String, KernelSpec>();
        specs.put(java.name(), java);
        for (Path dir : searchPath(home, env)) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (var kernels = Files.list(dir)) {
                for (Path kernel : kernels.sorted().toList()) {
                    String name = kernel.getFileName().toString().toLowerCase(Locale.ROOT);
                    Path file = kernel.resolve("kernel.json");
                    if (specs.containsKey(name) || !Files.isRegularFile(file)) {
                        continue;
                    }
                    try {
                        specs.put(name, parse(name, kernel, Files.readString(file)));
                    } catch (IOException | RuntimeException e) {
                        KernelLog.say("kiln-agent: skipped the kernelspec " + file + ": " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                // an unreadable folder: nothing from it
            }
        }
        return specs;
    }

    static List<Path> searchPath(Path home, Map<String, String> env) {
        var dirs = new ArrayList<Path>();
        String jupyterPath = env.get("JUPYTER_PATH");
        if (jupyterPath != null) {
            for (String entry : jupyterPath.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    dirs.add(Path.of(entry, "kernels"));
                }
            }
        }
        String data = env.get("JUPYTER_DATA_DIR");
        dirs.add(data != null && !data.isBlank() ? Path.of(data, "kernels") : home.resolve(".local/share/jupyter/kernels"));
        dirs.add(Path.of("/usr/local/share/jupyter/kernels"));
        dirs.add(Path.of("/usr/share/jupyter/kernels"));
        return dirs;
    }

    static KernelSpec parse(String name, Path dir, String json) {
        JsonNode node = JupyterMessage.JSON.readTree(json);
        var argv = new ArrayList<String>();
        for (JsonNode arg : node.path("argv")) {
            argv.add(arg.asString());
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("it has no argv");
        }
        var env = new LinkedHashMap<String, String>();
        node.path("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asString("")));
        return new KernelSpec(name, node.path("display_name").asString(name), node.path("language").asString(""),
                argv, env, node.path("interrupt_mode").asString("signal"), dir);
    }
}
