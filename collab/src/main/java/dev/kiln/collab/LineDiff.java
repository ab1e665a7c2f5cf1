package dev.kiln.collab;

import java.util.ArrayList;
import java.util.List;

/**
 * The changes that turn one text into another, line by line (Myers' O(ND) diff), as a {@link ChangeSet} with one
 * replacement per changed run of lines, each narrowed to the characters that differ. Unlike {@link TextDiff}'s
 * single replacement from the first difference to the last, two edits far apart stay two edits, so mapping them
 * over someone else's edit in between keeps that edit. Texts whose difference is too large to search (over
 * {@value #MAX_EDITS} changed lines) fall back to {@link TextDiff}.
 */
public final class LineDiff {
    static final int MAX_EDITS = 4000;

    private LineDiff() {
    }

    public static ChangeSet between(String from, String to) {
        if (from.equals(to)) {
            return ChangeSet.empty(from.length());
        }
        List<int[]> a = lines(from);
        List<int[]> b = lines(to);
        int start = 0;
        while (start < a.size() && start < b.size() && same(from, a.get(start), to, b.get(start))) {
            start++;
        }
        int endA = a.size();
        int endB = b.size();
        while (endA > start && endB > start && same(from, a.get(endA - 1), to, b.get(endB - 1))) {
            endA--;
            endB--;
        }
        List<int[]> hunks = myers(from, a.subList(start, endA), to, b.subList(start, endB));
        if (hunks == null) {
            return TextDiff.between(from, to);
        }
        // Right to left, so that each replacement's positions in the old text still hold when it is composed.
        ChangeSet result = ChangeSet.empty(from.length());
        String current = from;
        for (int i = hunks.size() - 1; i >= 0; i--) {
            int[] h = hunks.get(i);
            int fromStart = offset(a, start + h[0], from.length());
            int fromEnd = offset(a, start + h[1], from.length());
            int toStart = offset(b, start + h[2], to.length());
            int toEnd = offset(b, start + h[3], to.length());
            // Narrowed to the characters that differ inside the run of lines.
            while (fromStart < fromEnd && toStart < toEnd && from.charAt(fromStart) == to.charAt(toStart)) {
                fromStart++;
                toStart++;
            }
            while (fromEnd > fromStart && toEnd > toStart && from.charAt(fromEnd - 1) == to.charAt(toEnd - 1)) {
                fromEnd--;
                toEnd--;
            }
            var step = ChangeSet.replace(current.length(), fromStart, fromEnd, to.substring(toStart, toEnd));
            result = result.compose(step);
            current = step.apply(current);
        }
        return result;
    }

    /** Lines as [start, end) offsets, each with its line break. */
    private static List<int[]> lines(String text) {
        var lines = new ArrayList<int[]>();
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                lines.add(new int[] {start, i + 1});
                start = i + 1;
            }
        }
        if (start < text.length()) {
            lines.add(new int[] {start, text.length()});
        }
        return lines;
    }

    private static int offset(List<int[]> lines, int index, int length) {
        return index < lines.size() ? lines.get(index)[0] : length;
    }

    private static boolean same(String x, int[] lx, String y, int[] ly) {
        return lx[1] - lx[0] == ly[1] - ly[0] && x.regionMatches(lx[0], y, ly[0], lx[1] - lx[0]);
    }

    /**
     * Myers' greedy diff: the runs of lines that differ, as [aStart, aEnd, bStart, bEnd] in order, or null when more
     * than {@link #MAX_EDITS} lines differ.
     */
    private static List<int[]> myers(String x, List<int[]> a, String y, List<int[]> b) {
        int n = a.size();
        int m = b.size();
        int max = Math.min(n + m, MAX_EDITS);
        int offset = max + 1;
        int[] v = new int[2 * max + 3];
        var trace = new ArrayList<int[]>();
        int found = -1;
        for (int d = 0; d <= max && found < 0; d++) {
            trace.add(v.clone());
            for (int k = -d; k <= d; k += 2) {
                int i;
                if (k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1])) {
                    i = v[offset + k + 1];
                } else {
                    i = v[offset + k - 1] + 1;
                }
                int j = i - k;
                while (i < n && j < m && same(x, a.get(i), y, b.get(j))) {
                    i++;
                    j++;
                }
                v[offset + k] = i;
                if (i >= n && j >= m) {
                    found = d;
                    break;
                }
            }
        }
        if (found < 0) {
            return null;
        }
        // Walk back through the trace: each step is one deleted (a) or inserted (b) line.
        var steps = new ArrayList<int[]>(); // [i, j, kind] kind 0 = delete a[i], 1 = insert b[j]
        int i = n;
        int j = m;
        for (int d = found; d > 0; d--) {
            int[] vd = trace.get(d);
            int k = i - j;
            int previousK = (k == -d || (k != d && vd[offset + k - 1] < vd[offset + k + 1])) ? k + 1 : k - 1;
            int previousI = vd[offset + previousK];
            int previousJ = previousI - previousK;
            while (i > previousI && j > previousJ) {
                i--;
                j--;
            }
            if (previousK == k + 1) {
                steps.add(new int[] {previousI, previousJ, 1}); // inserted b[previousJ]
            } else {
                steps.add(new int[] {previousI, previousJ, 0}); // deleted a[previousI]
            }
            i = previousI;
            j = previousJ;
        }
        java.util.Collections.reverse(steps);
        // Group consecutive steps into runs.
        var hunks = new ArrayList<int[]>();
        int[] open = null;
        for (int[] step : steps) {
            int si = step[0];
            int sj = step[1];
            if (open != null && open[1] == si && open[3] == sj) {
                if (step[2] == 0) {
                    open[1]++;
                } else {
                    open[3]++;
                }
                continue;
            }
            open = step[2] == 0 ? new int[] {si, si + 1, sj, sj} : new int[] {si, si, sj, sj + 1};
            hunks.add(open);
        }
        return hunks;
    }
}
