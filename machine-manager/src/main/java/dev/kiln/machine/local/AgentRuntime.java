package dev.kiln.machine.local;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import dev.kiln.machine.agent.MachineAgent;

/**
 * What a local machine's agent runs from: the machine runtime's folder of jars (the agent, the training runtime and
 * libtorch, built by the {@code machine-runtime} module beside kiln.jar), or, for tests of the backend alone, this
 * JVM's own classpath. Its files are all a sandbox sees of Kiln's installation.
 */
public record AgentRuntime(List<Path> classpath, String description) {
    public AgentRuntime {
        classpath = List.copyOf(classpath);
    }

    /** The jars in {@code dir/lib}; a folder without them is refused with what to do. */
    public static AgentRuntime folder(Path dir) {
        Path lib = dir.resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("No machine runtime in " + dir + " (no lib/ folder of jars). Build it with "
                    + "./mvnw -pl machine-runtime -am package, or point kiln.machine.local.runtime at it.");
        }
        try (Stream<Path> jars = Files.list(lib)) {
            var found = jars.filter(p -> p.toString().endsWith(".jar")).map(p -> p.toAbsolutePath().normalize())
                    .sorted().toList();
            if (found.isEmpty()) {
                throw new IllegalStateException("The machine runtime in " + dir + " has no jars in lib/.");
            }
            return new AgentRuntime(found, "the machine runtime in " + dir);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the machine runtime in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** This JVM's classpath (extracted jars' manifests followed), for tests of the local backend's own logic. */
    public static AgentRuntime thisJvm() {
        return new AgentRuntime(Bubblewrap.classpathFiles(System.getProperty("java.class.path")), "this JVM's classpath");
    }

    /** {@code -cp <classpath> MachineAgent}. */
    List<String> javaArguments() {
        var args = new ArrayList<String>();
        args.add("-cp");
        args.add(String.join(File.pathSeparator, classpath.stream().map(Path::toString).toList()));
        args.add(MachineAgent.class.getName());
        return args;
    }
}
