package dev.kiln.machine.agent;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarFile;

/**
 * The classpath jobs compile against and run with: the agent's own (Kiln's training runtime, libtorch and their
 * dependencies travel with the agent). Inside Kiln's single Spring Boot jar the libraries are nested jars, which javac
 * and a plain JVM cannot read, so they are unpacked once per jar version under {@code ~/.kiln/runtime}.
 */
final class RuntimeClasspath {
    private RuntimeClasspath() {}

    /** {@code dir/*} entries (as in a container image's {@code /app/libs/*}) become the jars they stand for. */
    static List<String> expand(List<String> entries) throws IOException {
        var result = new ArrayList<String>();
        for (String entry : entries) {
            if (entry.endsWith(File.separator + "*") && Files.isDirectory(Path.of(entry.substring(0, entry.length() - 2)))) {
                try (var jars = Files.list(Path.of(entry.substring(0, entry.length() - 2)))) {
                    jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> result.add(p.toString()));
                }
            } else if (!entry.isBlank()) {
                result.add(entry);
            }
        }
        return result;
    }

    /** An extracted jar ({@code ./kiln start}) names its libraries in its manifest: list them for javac. */
    private static List<String> withManifestClassPath(Path jar, JarFile file) throws IOException {
        var result = new ArrayList<String>();
        result.add(jar.toString());
        var manifest = file.getManifest();
        String classPath = manifest == null ? null : manifest.getMainAttributes().getValue("Class-Path");
        if (classPath != null) {
            for (String entry : classPath.trim().split("\\s+")) {
                Path lib = jar.toAbsolutePath().getParent().resolve(entry).normalize();
                if (Files.exists(lib)) {
                    result.add(lib.toString());
                }
            }
        }
        return result;
    }

    static List<String> resolve(Path home) throws IOException {
        String classpath = System.getProperty("java.class.path");
        var entries = expand(List.of(classpath.split(File.pathSeparator)));
        if (entries.size() != 1 || !entries.getFirst().endsWith(".jar")) {
            return entries;
        }
        Path jar = Path.of(entries.getFirst());
        try (var fat = new JarFile(jar.toFile())) {
            if (fat.getEntry("BOOT-INF/lib/") == null && fat.stream().noneMatch(e -> e.getName().startsWith("BOOT-INF/lib/"))) {
                return withManifestClassPath(jar, fat);
            }
            Path target = home.resolve(".kiln/runtime/" + Files.size(jar) + "-" + Files.getLastModifiedTime(jar).toMillis());
            Path done = target.resolve(".complete");
            if (!Files.exists(done)) {
                Files.createDirectories(target.resolve("lib"));
                for (var entry : fat.stream().filter(e -> e.getName().startsWith("BOOT-INF/lib/")
                        && e.getName().endsWith(".jar")).toList()) {
                    try (InputStream in = fat.getInputStream(entry)) {
                        Files.copy(in, target.resolve("lib").resolve(Path.of(entry.getName()).getFileName()),
                                StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                Files.writeString(done, "unpacked from " + jar);
            }
            var result = new ArrayList<String>();
            try (var libs = Files.list(target.resolve("lib"))) {
                libs.sorted().forEach(p -> result.add(p.toString()));
            }
            return result;
        }
    }
}
