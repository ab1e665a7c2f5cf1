package dev.kiln.training.notebook;

import java.util.LinkedHashMap;
import java.util.Map;

/** A progress bar that updates in place (at most ten times a second, and always at the end). */
public final class Progress implements Notebook.Live {
    private static final long REDRAW_NANOS = 100_000_000L;
    private final String id = Notebook.newId();
    private final String label;
    private volatile long total;
    private volatile long done;
    private volatile String note = "";
    private long lastSent;

    Progress(String label, long total) {
        this.label = label;
        this.total = Math.max(0, total);
    }

    @Override
    public String id() {
        return id;
    }

    /** Moves the bar to {@code value} of the total, with an optional note (a loss). */
    public synchronized Progress update(long value, String text) {
        done = Math.max(0, value);
        note = text == null ? "" : text;
        long now = System.nanoTime();
        if (now - lastSent >= REDRAW_NANOS || done >= total) {
            lastSent = now;
            Notebook.update(this);
        }
        return this;
    }

    public Progress update(long value) {
        return update(value, note);
    }

    public synchronized void total(long newTotal) {
        total = Math.max(0, newTotal);
    }

    public long value() {
        return done;
    }

    @Override
    public Map<String, Object> mimeBundle() {
        long shownTotal = total;
        long shownDone = Math.min(done, shownTotal == 0 ? done : shownTotal);
        int percent = shownTotal == 0 ? 0 : (int) (100 * shownDone / shownTotal);
        var bundle = new LinkedHashMap<String, Object>();
        bundle.put("text/html", "<div class=\"kiln-progress\"><span>" + Table.escape(label) + "</span> <progress value=\""
                + shownDone + "\" max=\"" + Math.max(1, shownTotal) + "\"></progress> <span>" + shownDone + "/" + shownTotal
                + " (" + percent + "%)" + (note.isEmpty() ? "" : " " + Table.escape(note)) + "</span></div>");
        int width = 30;
        int filled = shownTotal == 0 ? 0 : (int) (width * shownDone / shownTotal);
        bundle.put("text/plain", label + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + shownDone + "/"
                + shownTotal + " " + note);
        return bundle;
    }
}
