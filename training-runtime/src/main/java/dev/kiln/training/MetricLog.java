package dev.kiln.training;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Values a module logs during one stage. Training keeps the latest value; evaluation keeps sample-weighted sums so
 * the mean can be reduced across ranks exactly.
 */
final class MetricLog {
    private final Map<String, double[]> sums = new TreeMap<>();
    private final Map<String, Double> latest = new LinkedHashMap<>();
    private final Map<String, Double> perRank = new LinkedHashMap<>();

    synchronized void record(String name, double value, long samples, boolean rankScoped) {
        if (rankScoped) {
            perRank.put(name, value);
            return;
        }
        latest.put(name, value);
        double[] sum = sums.computeIfAbsent(name, k -> new double[2]);
        sum[0] += value * samples;
        sum[1] += samples;
    }

    /** Moves the latest values into {@code target}; nothing to allocate on the usual step that logged nothing. */
    synchronized void drainLatestInto(Map<String, Double> target) {
        if (!latest.isEmpty()) {
            target.putAll(latest);
            latest.clear();
        }
    }

    synchronized Map<String, Double> takeLatest() {
        var copy = new LinkedHashMap<>(latest);
        latest.clear();
        return copy;
    }

    synchronized Map<String, Double> takePerRank() {
        if (perRank.isEmpty()) {
            return Map.of();
        }
        var copy = new LinkedHashMap<>(perRank);
        perRank.clear();
        return copy;
    }

    /** Names in a fixed (sorted) order with their weighted sums and weights, for a cross-rank all-reduce. */
    synchronized Map<String, double[]> takeSums() {
        var copy = new TreeMap<>(sums);
        sums.clear();
        return copy;
    }

    synchronized void clear() {
        sums.clear();
        latest.clear();
        perRank.clear();
    }
}
