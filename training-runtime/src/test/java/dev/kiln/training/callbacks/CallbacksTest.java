package dev.kiln.training.callbacks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.kiln.training.Precision;
import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.checkpoint.CheckpointIO;
import dev.kiln.training.examples.ImageData;
import dev.kiln.training.examples.MlpClassifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class CallbacksTest {
    @TempDir
    Path dir;

    private List<JsonNode> metricLines() throws Exception {
        var lines = new ArrayList<JsonNode>();
        for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            lines.add(JsonMapper.shared().readTree(line));
        }
        return lines;
    }

    @Test
    void metricsGoOutAsJsonLinesWithLossThroughputLrEpochStepAndRank() throws Exception {
        try (var trainer = Trainer.builder().maxEpochs(2).seed(1).rootDir(dir).progressBar(false).verbose(false)
                .logEveryNSteps(5).metricsChannel("file:" + dir.resolve("metrics.jsonl")).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(512, 64));
        }
        List<JsonNode> lines = metricLines();
        var train = lines.stream().filter(l -> l.path("type").asString().equals("kiln.metrics")
                && l.path("stage").asString().equals("train")).toList();
        // 8 steps per epoch, 2 epochs: step 1 and every 5th step.
        assertThat(train.stream().map(l -> l.path("step").asLong()).toList()).containsExactly(1L, 5L, 10L, 15L);
        JsonNode first = train.getFirst();
        assertThat(first.path("rank").asInt()).isZero();
        assertThat(first.path("time").asString()).endsWith("Z");
        assertThat(first.path("metrics").path("loss").asDouble()).isBetween(0.5, 3.0);
        assertThat(first.path("metrics").path("samples_per_sec").asDouble()).isPositive();
        assertThat(first.path("metrics").path("lr").asDouble()).isEqualTo(5e-3);
        assertThat(train.getLast().path("metrics").path("epoch").asInt()).isEqualTo(1);
        var validation = lines.stream().filter(l -> l.path("stage").asString().equals("validate")).toList();
        assertThat(validation).hasSize(2);
        assertThat(validation.getFirst().path("metrics").has("val_acc")).isTrue();
        var events = lines.stream().filter(l -> l.path("type").asString().equals("kiln.event"))
                .map(l -> l.path("event").asString()).toList();
        assertThat(events).startsWith("fit_start").contains("epoch_end", "checkpoint").endsWith("fit_end");
    }

    @Test
    void aCheckpointAskedForMidEpochIsWrittenAtTheStepTrainingIsAtAndAnswered() throws Exception {
        Path request = dir.resolve("checkpoint-request");
        Path done = dir.resolve("checkpoint-request.done");
        var savedStepWhenAnswered = new java.util.concurrent.atomic.AtomicLong(-1);
        Callback askAtStep11 = new Callback() {
            @Override
            public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
                if (trainer.globalStep() == 11) {
                    write(request);
                    sleep(150); // a step as slow as a real one: the request is looked at every 100 ms
                }
            }
        };
        Callback lookAtLastWhenAnswered = new Callback() {
            @Override
            public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
                if (Files.exists(done) && savedStepWhenAnswered.get() < 0) {
                    savedStepWhenAnswered.set(((Number) CheckpointIO.readTrainerState(dir.resolve("checkpoints/last"))
                            .get("step")).longValue());
                }
            }
        };
        var checkpoint = ModelCheckpoint.builder().checkpointRequestFile(request).build();
        try (var trainer = Trainer.builder().maxEpochs(2).seed(1).rootDir(dir).progressBar(false).verbose(false)
                .callbacks(askAtStep11, checkpoint, lookAtLastWhenAnswered).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(512, 64));
        }
        long answeredAt = Long.parseLong(Files.readString(done).strip());
        // Mid-epoch (8 steps an epoch: the epoch's own checkpoint was at step 8), at the step training was at.
        assertThat(answeredAt).isBetween(11L, 15L);
        assertThat(savedStepWhenAnswered.get()).isEqualTo(answeredAt);
        assertThat(request).doesNotExist();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void write(Path file) {
        try {
            Files.writeString(file, "checkpoint now");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void topKCheckpointsByTheMonitoredMetricPlusLast() throws Exception {
        var checkpoint = ModelCheckpoint.builder().monitor("val_loss", ModelCheckpoint.Mode.MIN).saveTopK(2).build();
        try (var trainer = Trainer.builder().maxEpochs(4).seed(1).rootDir(dir).progressBar(false).verbose(false)
                .metricsChannel("file:" + dir.resolve("metrics.jsonl")).callbacks(checkpoint).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(512, 64));
        }
        Path dirPath = dir.resolve("checkpoints");
        List<String> names;
        try (Stream<Path> list = Files.list(dirPath)) {
            names = list.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(names).hasSize(3).contains("last");
        assertThat(names.stream().filter(n -> n.startsWith("epoch=")).toList()).allMatch(n -> n.contains("-val_loss="));
        assertThat(checkpoint.bestPath().getFileName().toString()).startsWith("epoch=");
        // Each kept checkpoint is complete and loadable.
        for (String name : names) {
            var state = CheckpointIO.readTrainerState(dirPath.resolve(name));
            assertThat(state).containsKeys("step", "epoch", "callbacks", "scheduler");
        }
        assertThat(CheckpointIO.readTrainerState(dirPath.resolve("last")).get("step")).isEqualTo(32);
    }

    @Test
    void earlyStoppingEndsTrainingWhenTheMetricStalls() {
        // Learning rate zero: val_loss never improves, so training stops after 1 + patience validations.
        var frozen = new MlpClassifier() {
            @Override
            public dev.kiln.training.OptimizerConfig configureOptimizers() {
                return dev.kiln.training.OptimizerConfig.of(new org.bytedeco.pytorch.SGD(parameters(),
                        new org.bytedeco.pytorch.SGDOptions(0.0)));
            }
        };
        try (var trainer = Trainer.builder().maxEpochs(20).seed(1).rootDir(dir).progressBar(false).verbose(false)
                .metricsChannel("file:" + dir.resolve("metrics.jsonl")).checkpointing(false)
                .callbacks(new EarlyStopping("val_loss", 2)).build()) {
            trainer.fit(frozen, new ImageData(256, 64));
            assertThat(trainer.currentEpoch()).isEqualTo(3);
            assertThat(trainer.stopReason()).contains("val_loss did not improve for 2 validations");
        }
    }

    @Test
    void hooksFireInLifecycleOrder() {
        var seen = new ArrayList<String>();
        Callback recorder = new Callback() {
            @Override public void onFitStart(Trainer t, TrainingModule m) { seen.add("fit_start"); }
            @Override public void onTrainEpochStart(Trainer t, TrainingModule m) { seen.add("epoch_start"); }
            @Override public void onTrainBatchEnd(Trainer t, TrainingModule m, double loss, long i) { seen.add("batch"); }
            @Override public void onValidationEnd(Trainer t, TrainingModule m) {
                seen.add(t.isSanityCheck() ? "sanity_check" : "validation");
            }
            @Override public void onTrainEpochEnd(Trainer t, TrainingModule m) { seen.add("epoch_end"); }
            @Override public void onFitEnd(Trainer t, TrainingModule m) { seen.add("fit_end"); }
        };
        try (var trainer = Trainer.builder().maxEpochs(1).rootDir(dir).progressBar(false).verbose(false)
                .metricsChannel("file:" + dir.resolve("metrics.jsonl")).callbacks(recorder).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(128, 64));
        }
        assertThat(seen).containsExactly("fit_start", "sanity_check", "epoch_start", "batch", "batch", "validation",
                "epoch_end", "fit_end");
    }

    @Test
    void bf16MixedPrecisionTrainsOnTheCpu() {
        try (var trainer = Trainer.builder().maxEpochs(3).seed(1).precision(Precision.BF16_MIXED).rootDir(dir)
                .progressBar(false).verbose(false).metricsChannel("file:" + dir.resolve("metrics.jsonl"))
                .checkpointing(false).build()) {
            var model = new MlpClassifier();
            trainer.fit(model, new ImageData());
            assertThat(trainer.callbackMetrics().get("val_acc")).isGreaterThan(0.9);
            // Weights stay fp32; only the forward pass ran in bf16.
            assertThat(CheckpointIO.stateDict(model).get("hidden.weight").scalar_type().intern())
                    .isEqualTo(org.bytedeco.pytorch.global.torch.ScalarType.Float);
        }
    }

    @Test
    void gradientAccumulationTakesOneOptimizerStepPerGroup() {
        try (var trainer = Trainer.builder().maxEpochs(1).accumulateGradBatches(4).gradientClipVal(1.0)
                .rootDir(dir).progressBar(false).verbose(false).metricsChannel("file:" + dir.resolve("metrics.jsonl"))
                .checkpointing(false).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(640, 64));
            assertThat(trainer.globalStep()).isEqualTo(3); // 10 batches: groups of 4, 4 and the last 2
        }
    }

    @Test
    void fastDevRunTakesOneBatchOfEachAndSavesNothing() throws Exception {
        try (var trainer = Trainer.builder().fastDevRun(true).maxEpochs(10).rootDir(dir).progressBar(false)
                .verbose(false).metricsChannel("file:" + dir.resolve("metrics.jsonl")).build()) {
            trainer.fit(new MlpClassifier(), new ImageData());
            assertThat(trainer.globalStep()).isEqualTo(1);
            assertThat(trainer.callbackMetrics()).containsKey("val_acc");
        }
        assertThat(dir.resolve("checkpoints")).doesNotExist();
        assertThat(metricLines().stream().filter(l -> l.path("stage").asString().equals("validate")).count()).isEqualTo(1);
    }

    @Test
    void metricsCanGoToASocket() throws Exception {
        try (var server = new java.net.ServerSocket(0)) {
            var received = new java.util.concurrent.CompletableFuture<List<String>>();
            Thread reader = new Thread(() -> {
                try (var socket = server.accept(); var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        socket.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                    received.complete(in.lines().toList());
                } catch (java.io.IOException e) {
                    received.completeExceptionally(e);
                }
            });
            reader.start();
            try (var trainer = Trainer.builder().maxSteps(3).rootDir(dir).progressBar(false).verbose(false)
                    .checkpointing(false).metricsChannel("tcp://127.0.0.1:" + server.getLocalPort()).build()) {
                trainer.fit(new MlpClassifier(), new ImageData(256, 64));
            }
            List<String> lines = received.get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(lines).first().asString().startsWith("{\"type\":\"kiln.event\"").contains("fit_start");
            assertThat(lines).anyMatch(l -> l.contains("\"stage\":\"train\"") && l.contains("\"step\":1"));
            assertThat(lines).last().asString().contains("fit_end");
        }
    }

    @Test
    void theProgressBarDrawsOneLineOnTheTerminal() {
        var captured = new java.io.ByteArrayOutputStream();
        var bar = new ProgressBar(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try (var trainer = Trainer.builder().maxEpochs(1).rootDir(dir).progressBar(false).verbose(false)
                .checkpointing(false).metricsChannel("file:" + dir.resolve("metrics.jsonl")).callbacks(bar).build()) {
            trainer.fit(new MlpClassifier(), new ImageData(256, 64));
        }
        String text = captured.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(text).startsWith("\rEpoch 1/1 [").contains("1/4  loss ").endsWith("\n");
    }
}
