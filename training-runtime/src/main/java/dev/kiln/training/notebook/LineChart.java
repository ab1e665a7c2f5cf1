package dev.kiln.training.notebook;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A line chart of one or more series over x (steps), drawn live in the notebook by Kiln's chart component (the one
 * jobs use) as {@code application/vnd.kiln.chart+json}. Points are sent at most five times a second; a series of more
 * than {@value #MAX_POINTS} points is thinned to that many (evenly, always keeping the newest).
 */
public final class LineChart implements Notebook.Live {
    static final int MAX_POINTS = 2000;
    private static final long REDRAW_NANOS = 200_000_000L;
    private final String id = Notebook.newId();
    private final String title;
    private final Map<String, List<double[]>> series = new LinkedHashMap<>();
    private long lastSent;

    LineChart(String title) {
        this.title = title;
    }

    @Override
    public String id() {
        return id;
    }

    /** Adds a point to a series (made on first use) and redraws when it is time. */
    public synchronized LineChart add(String name, double x, double y) {
        series.computeIfAbsent(name, n -> new ArrayList<>()).add(new double[]{x, y});
        long now = System.nanoTime();
        if (now - lastSent >= REDRAW_NANOS) {
            lastSent = now;
            Notebook.update(this);
        }
        return this;
    }

    /** Draws what is there now (the last points after a burst). */
    public synchronized void flush() {
        lastSent = System.nanoTime();
        Notebook.update(this);
    }

    public synchronized int points(String name) {
        return series.getOrDefault(name, List.of()).size();
    }

    @Override
    public synchronized Map<String, Object> mimeBundle() {
        var data = new LinkedHashMap<String, Object>();
        var chart = new LinkedHashMap<String, Object>();
        chart.put("title", title);
        var all = new LinkedHashMap<String, Object>();
        var summary = new StringBuilder("[chart: ").append(title);
        series.forEach((name, points) -> {
            all.put(name, thinned(points));
            var last = points.getLast();
            summary.append("; ").append(name).append(": ").append(points.size()).append(" points, last ")
                    .append(String.format("%.4g", last[1]));
        });
        chart.put("series", all);
        data.put("application/vnd.kiln.chart+json", chart);
        data.put("text/plain", summary.append("]").toString());
        return data;
    }

    private static List<double[]> thinned(List<double[]> points) {
        if (points.size() <= MAX_POINTS) {
            return List.copyOf(points);
        }
        var kept = new ArrayList<double[]>(MAX_POINTS);
        double step = (points.size() - 1) / (double) (MAX_POINTS - 1);
        for (int i = 0; i < MAX_POINTS; i++) {
            kept.add(points.get((int) Math.round(i * step)));
        }
        return kept;
    }
}
