package dev.kiln.training.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.checkpoint.Safetensors;
import dev.kiln.training.cli.KilnTrain;
import dev.kiln.training.runtime.Tensors;

/** Real DDP: separate JVMs started by `kiln-train launch`, talking through TCPStore and ProcessGroupGloo. */
class DdpIT {
    @TempDir
    Path dir;

    /** A running `kiln-train` process whose output lines are collected as they arrive. */
    static final class Job {
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Job(List<String> args, Map<String, String> env) throws IOException {
            var command = new ArrayList<String>();
            command.add(ProcessHandle.current().info().command().orElseThrow());
            command.add("--enable-native-access=ALL-UNNAMED");
            command.add("-cp");
            command.add(System.getProperty("java.class.path"));
            command.add(KilnTrain.class.getName());
            command.addAll(args);
            var builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            process = builder.start();
            Thread reader = new Thread(() -> {
                try (var in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        lines.add(line);
                    }
                } catch (IOException ignored) {
                    // process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        int waitFor(Duration timeout) throws InterruptedException {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("kiln-train did not finish in " + timeout + ":\n" + String.join("\n", lines));
            }
            Thread.sleep(200); // let the reader drain
            return process.exitValue();
        }

        String output() {
            return String.join("\n", lines);
        }
    }

    private List<String> fit(String... trainerOptions) {
        var args = new ArrayList<>(List.of("launch", "--nproc-per-node", "2", "--", "fit",
                "--module", "dev.kiln.training.examples.DdpMlp", "--data", "dev.kiln.training.examples.ImageData",
                "--trainer.accelerator=cpu", "--trainer.seed=1", "--trainer.progress-bar=false",
                "--trainer.root-dir=" + dir.resolve("run")));
        args.addAll(List.of(trainerOptions));
        return args;
    }

    @Test
    void twoProcessesLearnTheMlpAndEndWithIdenticalWeights() throws Exception {
        var job = new Job(fit("--trainer.max-epochs=6"), Map.of("KILN_TEST_OUT", dir.resolve("out").toString()));
        assertThat(job.waitFor(Duration.ofMinutes(3))).as(job.output()).isZero();

        Map<String, Tensor> rank0 = Safetensors.read(dir.resolve("out/rank-0.safetensors"));
        Map<String, Tensor> rank1 = Safetensors.read(dir.resolve("out/rank-1.safetensors"));
        assertThat(rank1.keySet()).isEqualTo(rank0.keySet());
        for (String name : rank0.keySet()) {
            assertThat(Tensors.toBytes(rank1.get(name))).as(name).isEqualTo(Tensors.toBytes(rank0.get(name)));
        }
        var metadata = Safetensors.readHeader(dir.resolve("out/rank-0.safetensors")).metadata();
        double accuracy = Double.parseDouble(metadata.get("val_acc"));
        System.out.println("DDP x2: val_acc " + accuracy + " after " + metadata.get("steps") + " steps");
        assertThat(accuracy).isGreaterThan(0.93);
        // Each rank took half of every epoch: 2048 / (2 x 64) = 16 steps per epoch.
        assertThat(metadata.get("steps")).isEqualTo("96");
        String output = job.output();
        assertThat(output).contains("[rank 0] ", "[rank 1] ", "all 2 ranks finished");
        assertThat(output).contains("\"type\":\"kiln.metrics\"").contains("\"allreduce_ms\"");
        // Only rank 0 reports metrics.
        assertThat(job.lines.stream().filter(l -> l.startsWith("{\"type\":\"kiln.metrics\""))
                .allMatch(l -> l.contains("\"rank\":0"))).isTrue();
        assertThat(dir.resolve("run/checkpoints/last/model.safetensors")).exists();
    }

    @Test
    void whenOneRankIsKilledTheOthersStopWithAClearError() throws Exception {
        var job = new Job(fit("--trainer.max-epochs=50"), Map.of("KILN_TEST_OUT", dir.resolve("out").toString(),
                "KILN_TEST_STEP_DELAY_MS", "20"));
        long pid = awaitRankPid(job, 1);
        awaitLine(job, "\"type\":\"kiln.metrics\"");
        ProcessHandle.of(pid).orElseThrow().destroyForcibly(); // SIGKILL, as the OOM killer would
        long killedAt = System.nanoTime();

        int code = job.waitFor(Duration.ofSeconds(60));
        double seconds = (System.nanoTime() - killedAt) / 1e9;
        System.out.println("DDP: launcher exited " + seconds + " s after rank 1 was killed");
        assertThat(code).isNotZero();
        assertThat(job.output()).contains("rank 1 (pid " + pid + ") failed: exit code 137 (SIGKILL")
                .contains("stopping the other ranks");
        assertThat(job.output()).containsPattern("\\[rank 0\\] kiln-train: Rank 0: .*another rank stopped");
        assertThat(seconds).as("bounded, well under the 120 s collective timeout").isLessThan(30);
    }

    @Test
    void aRankWithoutPeersGivesUpAfterTheRendezvousTimeout() throws Exception {
        var job = new Job(List.of("fit", "--module", "dev.kiln.training.examples.DdpMlp", "--data",
                "dev.kiln.training.examples.ImageData", "--trainer.accelerator=cpu", "--trainer.progress-bar=false",
                "--trainer.root-dir=" + dir.resolve("run")),
                Map.of("MASTER_ADDR", "127.0.0.1", "MASTER_PORT", String.valueOf(freePort()), "WORLD_SIZE", "2",
                        "RANK", "0", "KILN_DIST_TIMEOUT_SECONDS", "3", "KILN_TEST_OUT", dir.toString()));
        assertThat(job.waitFor(Duration.ofSeconds(60))).isEqualTo(1);
        assertThat(job.output()).contains("kiln-train: Rank 0 of 2 could not join the process group within 3 s");
    }

    private static long awaitRankPid(Job job, int rank) throws InterruptedException {
        var pattern = Pattern.compile("started rank " + rank + " \\(pid (\\d+)\\)");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : job.lines) {
                var matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return Long.parseLong(matcher.group(1));
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("rank " + rank + " never started:\n" + job.output());
    }

    private static void awaitLine(Job job, String fragment) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (job.lines.stream().anyMatch(l -> l.contains(fragment))) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no line with " + fragment + ":\n" + job.output());
    }

    private static int freePort() throws IOException {
        try (var socket = new java.net.ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
