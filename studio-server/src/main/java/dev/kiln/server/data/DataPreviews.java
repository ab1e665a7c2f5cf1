package dev.kiln.server.data;

import dev.kiln.api.data.StudioData;

import java.util.List;

/**
 * The Data tab's previews for files that are not in a bucket (the studio's file tree): CSV rows and Parquet's
 * schema and first rows, read through ranged reads of any source. Malformed input is a {@link DataException}
 * saying where.
 */
public final class DataPreviews {
    public static final int PREVIEW_BYTES = S3Browser.PREVIEW_BYTES;
    public static final int PREVIEW_ROWS = S3Browser.PREVIEW_ROWS;

    private DataPreviews() {
    }

    /** Where the bytes come from: at most {@code length} bytes from {@code offset} (fewer only at the end). */
    public interface Ranges {
        byte[] read(long offset, int length);
    }

    /** The rows of CSV (or tab-separated) text, the first being the header; at most {@link #PREVIEW_ROWS} more. */
    public static List<List<String>> csvRows(String text, boolean tabs) {
        return S3Browser.csvRows(text, tabs);
    }

    /** A Parquet file's schema and first rows, reading only its footer and first row group. */
    public static StudioData.Preview parquet(Ranges ranges, String name, long size) {
        return ParquetPreview.of(ranges::read, name, name, size, PREVIEW_ROWS);
    }
}
