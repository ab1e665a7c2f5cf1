package dev.kiln.collab;

import java.util.Random;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The line diff turns one text into the other exactly, and keeps edits far apart as separate edits. */
class LineDiffTest {

    @Test
    void turnsOneTextIntoTheOtherOnRandomEdits() {
        long seed = Long.getLong("kiln.seed", System.nanoTime());
        System.out.println("LineDiffTest seed " + seed + " (replay with -Dkiln.seed=" + seed + ")");
        var random = new Random(seed);
        for (int round = 0; round < 2000; round++) {
            String a = text(random);
            String b = edit(random, a);
            assertThat(LineDiff.between(a, b).apply(a)).as("seed %d round %d", seed, round).isEqualTo(b);
        }
    }

    @Test
    void twoEditsFarApartSurviveAnEditBetweenThem() {
        String base = "one\ntwo\nthree\nfour\nfive\n";
        String machine = "ONE\ntwo\nthree\nfour\nFIVE\n";
        String editor = "one\ntwo\nthree, typed live\nfour\nfive\n";
        String merged = LineDiff.between(base, machine).map(LineDiff.between(base, editor))
                .apply(editor);
        assertThat(merged).isEqualTo("ONE\ntwo\nthree, typed live\nfour\nFIVE\n");
        assertThat(TextDiff.between(base, machine).map(TextDiff.between(base, editor)).apply(editor))
                .as("the single-replacement diff moves the editor's words to another line")
                .isEqualTo("ONE\ntwo\nthree\nfour\nFIVE, typed live\n");
    }

    @Test
    void editsWithinALineStayNarrow() {
        var change = LineDiff.between("let x = 1;\n", "let x = 2;\n");
        assertThat(change.apply("let x = 1;\n")).isEqualTo("let x = 2;\n");
        assertThat(change.insertedLength()).isEqualTo(1);
        assertThat(LineDiff.between("a", "a").isEmpty()).isTrue();
        assertThat(LineDiff.between("", "x\ny").apply("")).isEqualTo("x\ny");
        assertThat(LineDiff.between("x\ny", "").apply("x\ny")).isEmpty();
    }

    private static String text(Random random) {
        var text = new StringBuilder();
        int lines = random.nextInt(30);
        for (int i = 0; i < lines; i++) {
            text.append("line ").append(random.nextInt(6));
            if (random.nextInt(10) > 0 || i < lines - 1) {
                text.append('\n');
            }
        }
        return text.toString();
    }

    private static String edit(Random random, String text) {
        var out = new StringBuilder(text);
        int edits = random.nextInt(6);
        for (int e = 0; e < edits; e++) {
            int at = out.isEmpty() ? 0 : random.nextInt(out.length() + 1);
            switch (random.nextInt(3)) {
                case 0 -> out.insert(at, random.nextBoolean() ? "new line\n" : "x");
                case 1 -> out.delete(at, Math.min(out.length(), at + random.nextInt(12)));
                default -> out.replace(at, Math.min(out.length(), at + 3), "yz\n");
            }
        }
        return out.toString();
    }
}
