package dev.kiln.training.cli;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Fills JavaCPP's cache ({@code ~/.javacpp/cache}) with libtorch's native libraries before several ranks start at
 * once. JavaCPP extracts them on first use, and two JVMs extracting into an empty cache together can map a library
 * while the other rewrites it: the rank then dies with SIGBUS inside the dynamic loader (bytedeco/javacpp#608). One
 * short-lived JVM extracts them first; a marker named after the classpath's libtorch jar skips it afterwards.
 */
final class NativeCache {
    private NativeCache() {}

    /** Loads libtorch once in this JVM (the child {@link #warm} starts). */
    public static void main(String[] args) throws IOException {
        org.bytedeco.javacpp.Loader.load(org.bytedeco.pytorch.global.torch.class);
        Files.writeString(marker(), "extracted\n");
    }

    /** Extracts the natives in a child JVM unless this cache already has them; failures are left to the ranks. */
    static void warm(List<String> jvmOptions) throws InterruptedException {
        try {
            if (Files.exists(marker())) {
                return;
            }
            var command = new ArrayList<String>();
            command.add(ProcessHandle.current().info().command().orElse("java"));
            command.addAll(jvmOptions);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), NativeCache.class.getName()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!process.waitFor(2, TimeUnit.MINUTES)) {
                process.destroyForcibly();
            }
        } catch (IOException e) {
            // each rank extracts for itself, as before
        }
    }

    private static Path marker() throws IOException {
        String torchJar = "libtorch";
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(entry).getFileName() == null ? "" : Path.of(entry).getFileName().toString();
            if (name.startsWith("pytorch-") && name.endsWith(".jar") && name.contains("linux")) {
                torchJar = name;
            }
        }
        return Path.of(org.bytedeco.javacpp.Loader.getCacheDir().getPath(), ".kiln-extracted-" + torchJar);
    }
}
