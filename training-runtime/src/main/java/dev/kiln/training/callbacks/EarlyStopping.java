package dev.kiln.training.callbacks;

import java.util.HashMap;
import java.util.Map;

import dev.kiln.training.Trainer;
import dev.kiln.training.TrainingException;
import dev.kiln.training.TrainingModule;

/**
 * Stops training when a validation metric has not improved for {@code patience} validations. Every rank sees the same
 * (all-reduced) metric, so every rank stops at the same step.
 */
public final class EarlyStopping implements Callback {
    private final String monitor;
    private final int patience;
    private final Mode mode;
    private final double minDelta;
    private double best;
    private int wait;

    public enum Mode { MIN, MAX }

    public EarlyStopping(String monitor, int patience, Mode mode, double minDelta) {
        this.monitor = monitor;
        this.patience = patience;
        this.mode = mode;
        this.minDelta = Math.abs(minDelta);
        this.best = mode == Mode.MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    public EarlyStopping(String monitor, int patience) {
        this(monitor, patience, Mode.MIN, 0);
    }

    @Override
    public void onValidationEnd(Trainer trainer, TrainingModule module) {
        if (trainer.isSanityCheck()) {
            return;
        }
        Double value = trainer.callbackMetrics().get(monitor);
        if (value == null) {
            throw new TrainingException("EarlyStopping monitors '" + monitor + "', but validation logged only "
                    + trainer.callbackMetrics().keySet() + ". Log it in validationStep or change the monitor.");
        }
        if (!Double.isFinite(value)) {
            trainer.requestStop("EarlyStopping: " + monitor + " is " + value);
            return;
        }
        boolean improved = mode == Mode.MIN ? value < best - minDelta : value > best + minDelta;
        if (improved) {
            best = value;
            wait = 0;
        } else if (++wait >= patience) {
            trainer.requestStop("EarlyStopping: " + monitor + " did not improve for " + patience
                    + " validations (best " + String.format("%.6g", best) + ")");
        }
    }

    @Override
    public String stateKey() {
        return "EarlyStopping[" + monitor + "]";
    }

    @Override
    public Map<String, Object> stateDict() {
        var state = new HashMap<String, Object>();
        state.put("best", best);
        state.put("wait", wait);
        return state;
    }

    @Override
    public void loadStateDict(Map<String, Object> state) {
        best = ((Number) state.get("best")).doubleValue();
        wait = ((Number) state.get("wait")).intValue();
    }
}
