package dev.kiln.server.data;

import javax.tools.ToolProvider;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/**
 * Jars holding a JDBC driver whose class, once loaded, sets a system property: proof that a jar's code ran inside the
 * server. Compiled by the test with the JDK's compiler.
 */
final class DriverJars {
    private DriverJars() {}

    /** Writes {@code jar} with driver {@code className} (its package decides its kind) that sets {@code property}. */
    static Path write(Path jar, String className, String property) throws IOException {
        String pkg = className.substring(0, className.lastIndexOf('.'));
        String simple = className.substring(className.lastIndexOf('.') + 1);
        Path src = Files.createTempDirectory("kiln-driver-src");
        Path out = Files.createTempDirectory("kiln-driver-classes");
        Path source = src.resolve(simple + ".java");
        Files.writeString(source, """
                package %s;
                public class %s implements java.sql.Driver {
                    static { System.setProperty("%s", "ran"); }
                    public java.sql.Connection connect(String url, java.util.Properties p) { return null; }
                    public boolean acceptsURL(String url) { return true; }
                    public java.sql.DriverPropertyInfo[] getPropertyInfo(String u, java.util.Properties p) {
                        return new java.sql.DriverPropertyInfo[0];
                    }
                    public int getMajorVersion() { return 9; }
                    public int getMinorVersion() { return 9; }
                    public boolean jdbcCompliant() { return false; }
                    public java.util.logging.Logger getParentLogger() { return java.util.logging.Logger.getGlobal(); }
                }
                """.formatted(pkg, simple, property));
        int compiled = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", out.toString(),
                source.toString());
        if (compiled != 0) {
            throw new IllegalStateException("the test driver did not compile");
        }
        Files.createDirectories(jar.getParent());
        try (OutputStream file = Files.newOutputStream(jar); var zip = new JarOutputStream(file)) {
            zip.putNextEntry(new JarEntry("META-INF/services/java.sql.Driver"));
            zip.write((className + "\n").getBytes());
            zip.closeEntry();
            String entry = className.replace('.', '/') + ".class";
            zip.putNextEntry(new JarEntry(entry));
            zip.write(Files.readAllBytes(out.resolve(entry)));
            zip.closeEntry();
        }
        return jar;
    }
}
