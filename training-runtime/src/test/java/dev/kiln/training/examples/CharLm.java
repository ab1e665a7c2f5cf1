package dev.kiln.training.examples;

import static org.bytedeco.pytorch.global.torch.cross_entropy;
import static org.bytedeco.pytorch.global.torch.tanh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.TreeSet;

import org.bytedeco.pytorch.AdamW;
import org.bytedeco.pytorch.AdamWOptions;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Tensor;

import dev.kiln.training.Batch;
import dev.kiln.training.OptimizerConfig;
import dev.kiln.training.TrainingModule;
import dev.kiln.training.data.DataLoader;
import dev.kiln.training.data.DataModule;
import dev.kiln.training.data.TensorDataset;
import dev.kiln.training.runtime.Tensors;

/**
 * A character-level language model (Bengio-style: embed the previous {@link #CONTEXT} characters, one hidden layer,
 * predict the next character) on a small text file.
 */
public class CharLm extends TrainingModule {
    public static final int CONTEXT = 8;
    private static final int EMBED = 16;

    final EmbeddingImpl embed;
    final LinearImpl hidden;
    final LinearImpl out;

    public CharLm(int vocabulary) {
        embed = register_module("embed", new EmbeddingImpl(vocabulary, EMBED));
        hidden = register_module("hidden", new LinearImpl(CONTEXT * EMBED, 128));
        out = register_module("out", new LinearImpl(128, vocabulary));
    }

    Tensor forward(Tensor context) {
        return out.forward(tanh(hidden.forward(embed.forward(context).flatten(1, -1))));
    }

    @Override
    public Tensor trainingStep(Batch batch, long batchIdx) {
        return cross_entropy(forward(batch.x()), batch.y());
    }

    @Override
    public void validationStep(Batch batch, long batchIdx) {
        log("val_loss", cross_entropy(forward(batch.x()), batch.y()).item_double(), batch.size());
    }

    @Override
    public OptimizerConfig configureOptimizers() {
        return OptimizerConfig.of(new AdamW(parameters(), new AdamWOptions(3e-3)));
    }

    /** Writes a small corpus: sentences from a tiny grammar, so there is structure to learn. */
    public static Path writeCorpus(Path file, int sentences, long seed) throws IOException {
        String[] subjects = {"the cat", "a dog", "the old man", "my sister", "the small bird", "our teacher"};
        String[] verbs = {"sees", "likes", "follows", "draws", "finds", "remembers"};
        String[] objects = {"the river", "a red ball", "the garden", "an apple", "the moon", "a long road"};
        String[] endings = {".", " today.", " again.", " at night."};
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < sentences; i++) {
            text.append(subjects[random.nextInt(subjects.length)]).append(' ')
                    .append(verbs[random.nextInt(verbs.length)]).append(' ')
                    .append(objects[random.nextInt(objects.length)])
                    .append(endings[random.nextInt(endings.length)]).append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }

    /** (context, next character) pairs from a text file; the last tenth is validation. */
    public static final class Data implements DataModule {
        private final String text;
        private final String vocabulary;
        private final TensorDataset train;
        private final TensorDataset val;

        public Data(Path file) throws IOException {
            this.text = Files.readString(file, StandardCharsets.UTF_8);
            var chars = new TreeSet<Character>();
            for (char c : text.toCharArray()) {
                chars.add(c);
            }
            var sb = new StringBuilder();
            chars.forEach(sb::append);
            this.vocabulary = sb.toString();
            int split = text.length() * 9 / 10;
            this.train = pairs(0, split);
            this.val = pairs(split, text.length());
        }

        public int vocabularySize() {
            return vocabulary.length();
        }

        private TensorDataset pairs(int from, int to) {
            int count = to - from - CONTEXT;
            long[] contexts = new long[count * CONTEXT];
            long[] targets = new long[count];
            for (int i = 0; i < count; i++) {
                for (int k = 0; k < CONTEXT; k++) {
                    contexts[i * CONTEXT + k] = vocabulary.indexOf(text.charAt(from + i + k));
                }
                targets[i] = vocabulary.indexOf(text.charAt(from + i + CONTEXT));
            }
            return new TensorDataset(Tensors.fromLongs(contexts, count, CONTEXT), Tensors.fromLongs(targets, count));
        }

        @Override
        public DataLoader trainLoader() {
            return DataLoader.builder(train).batchSize(128).shuffle(true).seed(3).build();
        }

        @Override
        public DataLoader valLoader() {
            return DataLoader.builder(val).batchSize(512).build();
        }
    }
}
