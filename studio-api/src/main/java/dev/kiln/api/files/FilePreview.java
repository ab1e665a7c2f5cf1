package dev.kiln.api.files;

import java.time.Instant;
import java.util.List;

/**
 * What the file viewer shows of one file.
 *
 * @param kind      text, csv, parquet, image, safetensors or binary
 * @param text      text (the first part of a large file), or a Parquet file's schema
 * @param rows      CSV or Parquet rows, the first being the header
 * @param tensors   a safetensors file's tensors, in the file's order
 * @param url       where the browser fetches an image (a path on this server)
 * @param truncated whether only the first part is shown
 * @param note      a sentence about what could not be shown, and why
 */
public record FilePreview(String path, String kind, long size, Instant modified, FileEntry.Where where, String text,
                          List<List<String>> rows, List<Tensor> tensors, String url, boolean truncated, String note) {

    public FilePreview {
        rows = rows == null ? List.of() : List.copyOf(rows);
        tensors = tensors == null ? List.of() : List.copyOf(tensors);
    }

    /** One tensor of a safetensors file: its name, dtype (F32, BF16, ...), shape and size in bytes. */
    public record Tensor(String name, String dtype, List<Long> shape, long bytes) {

        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }
}
