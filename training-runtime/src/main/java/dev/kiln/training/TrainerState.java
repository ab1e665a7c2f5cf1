package dev.kiln.training;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.kiln.training.checkpoint.CheckpointException;

/**
 * Everything a checkpoint's {@code trainer.json} holds beside the weights and the optimizer: where the fit loop
 * stood and what else must continue exactly (LR schedule, loss scale, callbacks, latest metrics). Rank 0 saves it;
 * a resume reads it back. Optional parts are null when absent (no scheduler, no loss scaler).
 */
record TrainerState(LoopProgress progress, long batchesPerEpoch, int worldSize, String precision, Long seed,
                    Map<String, Object> scheduler, Map<String, Object> gradScaler,
                    Map<String, Map<String, Object>> callbacks, Map<String, Double> metrics) {

    /** The JSON object, with the key names the checkpoint format documents (training-runtime/README.md). */
    Map<String, Object> toMap() {
        var state = new LinkedHashMap<String, Object>();
        state.put("step", progress.step());
        state.put("epoch", progress.epoch());
        state.put("batch_in_epoch", progress.batchInEpoch());
        state.put("batches_per_epoch", batchesPerEpoch);
        state.put("world_size", worldSize);
        state.put("precision", precision);
        state.put("seed", seed);
        if (scheduler != null) {
            state.put("scheduler", scheduler);
        }
        if (gradScaler != null) {
            state.put("grad_scaler", gradScaler);
        }
        state.put("callbacks", new LinkedHashMap<>(callbacks));
        state.put("metrics", new LinkedHashMap<>(metrics));
        return state;
    }

    /** Reads {@link #toMap()}'s object back; JSON numbers arrive as whatever Number fits, so each is converted. */
    @SuppressWarnings("unchecked")
    static TrainerState fromMap(Map<String, Object> state) {
        var progress = new LoopProgress(number(state, "step").longValue(), number(state, "epoch").intValue(),
                number(state, "batch_in_epoch").longValue());
        var callbacks = new LinkedHashMap<String, Map<String, Object>>();
        if (state.get("callbacks") instanceof Map<?, ?> saved) {
            saved.forEach((key, value) -> {
                if (value instanceof Map<?, ?> dict) {
                    callbacks.put((String) key, (Map<String, Object>) dict);
                }
            });
        }
        var metrics = new LinkedHashMap<String, Double>();
        if (state.get("metrics") instanceof Map<?, ?> saved) {
            saved.forEach((key, value) -> metrics.put((String) key, ((Number) value).doubleValue()));
        }
        Number seed = (Number) state.get("seed");
        return new TrainerState(progress, number(state, "batches_per_epoch").longValue(),
                number(state, "world_size").intValue(), (String) state.get("precision"),
                seed == null ? null : seed.longValue(), (Map<String, Object>) state.get("scheduler"),
                (Map<String, Object>) state.get("grad_scaler"), callbacks, metrics);
    }

    private static Number number(Map<String, Object> state, String key) {
        if (state.get(key) instanceof Number n) {
            return n;
        }
        throw new CheckpointException("The checkpoint's trainer.json has no number '" + key + "' (it has "
                + state.keySet() + "): it was not written by this Trainer, or it was edited.");
    }
}
