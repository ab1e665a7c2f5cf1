package dev.kiln.training.callbacks;

import java.io.Console;
import java.io.PrintStream;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingModule;

/**
 * A one-line progress display on a terminal (stderr, redrawn at most five times a second). Off when output is not a
 * terminal: jobs in the studio get the metrics channel instead.
 */
public final class ProgressBar implements Callback {
    private final PrintStream out;
    private long lastDraw;
    private boolean drawn;

    public ProgressBar(PrintStream out) {
        this.out = out;
    }

    /** True when stdout is an interactive terminal. */
    public static boolean onTerminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            // JDK 22+ returns a Console even when redirected; isTerminal() tells the truth there.
            return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    @Override
    public void onTrainBatchEnd(Trainer trainer, TrainingModule module, double loss, long batchIdx) {
        long now = System.nanoTime();
        long total = trainer.batchesPerEpoch();
        long done = Math.min(total, batchIdx + 1);
        // At most five redraws a second, but always the epoch's last batch, so the line ends at N/N.
        if (!trainer.isGlobalZero() || (now - lastDraw < 200_000_000L && done < total)) {
            return;
        }
        lastDraw = now;
        int width = 24;
        int filled = total == 0 ? 0 : (int) (width * done / total);
        String epochs = trainer.maxEpochs() > 0 ? "/" + trainer.maxEpochs() : "";
        out.printf("\rEpoch %d%s %s %d/%d  loss %.4f  step %d   ", trainer.currentEpoch() + 1, epochs,
                "[" + "=".repeat(filled) + " ".repeat(width - filled) + "]", done, total, loss, trainer.globalStep());
        out.flush();
        drawn = true;
    }

    @Override
    public void onTrainEpochEnd(Trainer trainer, TrainingModule module) {
        if (drawn) {
            out.println();
            drawn = false;
        }
    }
}
