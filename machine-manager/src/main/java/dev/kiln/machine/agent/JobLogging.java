package dev.kiln.machine.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How much the libraries on a job's classpath may say in its log. Jobs run with the agent's classpath, which carries
 * Logback without a configuration (so every library's INFO and DEBUG lines would print) and the JDK's own logging
 * (Hardwood's "SIMD support: disabled" goes there at INFO). By default only warnings and errors reach the log, one
 * line each with the exception's first line, and the AWS SDK only its errors (its warnings come with long stack
 * traces the job's own error already explains). A workspace that brings its own {@code logback.xml} or
 * {@code logging.properties} in {@code src/main/resources} gets those instead.
 */
final class JobLogging {
    static final String LOGBACK = """
            <configuration>
              <!-- Kiln's default for jobs: warnings and errors only. Put your own logback.xml in
                   src/main/resources to see more. -->
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%-5level %logger{36} - %msg%n%ex{short}</pattern></encoder>
              </appender>
              <logger name="software.amazon.awssdk" level="ERROR"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
    static final String JUL = """
            # Kiln's default for jobs: warnings and errors only, one line each. Put your own logging.properties in
            # src/main/resources to see more.
            handlers=java.util.logging.ConsoleHandler
            .level=WARNING
            java.util.logging.ConsoleHandler.level=ALL
            java.util.logging.SimpleFormatter.format=%4$s %3$s - %5$s%6$s%n
            """;

    private JobLogging() {}

    /** The JVM options a job starts with (its DDP workers inherit them); writes the default files once. */
    static List<String> jvmOptions(Path home, Path workspace) throws IOException {
        Path dir = home.resolve(".kiln/logging");
        Files.createDirectories(dir);
        Path resources = workspace.resolve("src/main/resources");
        var options = new ArrayList<String>();
        if (!Files.exists(resources.resolve("logback.xml")) && !Files.exists(resources.resolve("logback-test.xml"))) {
            options.add("-Dlogback.configurationFile=" + write(dir.resolve("logback.xml"), LOGBACK));
        }
        Path ownJul = resources.resolve("logging.properties");
        options.add("-Djava.util.logging.config.file=" + (Files.exists(ownJul) ? ownJul
                : write(dir.resolve("logging.properties"), JUL)));
        return options;
    }

    private static Path write(Path file, String text) throws IOException {
        if (!Files.exists(file) || !Files.readString(file).equals(text)) {
            Files.writeString(file, text);
        }
        return file;
    }
}
