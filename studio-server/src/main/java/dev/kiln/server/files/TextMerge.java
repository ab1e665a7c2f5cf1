package dev.kiln.server.files;

import dev.kiln.collab.LineDiff;

/**
 * A three-way merge of text the way two editors' typing merges: the machine's change from {@code base} to
 * {@code mine}, rebased over the studio's change from {@code base} to {@code theirs} (CodeMirror's position
 * mapping, the same math as the live documents), applied to {@code theirs}. Both changes survive; where they
 * touch the same place, the studio's text comes first.
 */
final class TextMerge {
    private TextMerge() {
    }

    static String merge(String base, String theirs, String mine) {
        if (mine.equals(base)) {
            return theirs;
        }
        if (theirs.equals(base) || theirs.equals(mine)) {
            return mine;
        }
        return LineDiff.between(base, mine).map(LineDiff.between(base, theirs)).apply(theirs);
    }
}
