package dev.kiln.server.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import dev.hardwood.InputFile;
import dev.hardwood.metadata.ColumnChunk;
import dev.hardwood.metadata.RowGroup;
import dev.hardwood.reader.ParquetFileReader;
import dev.hardwood.schema.ColumnSchema;
import dev.kiln.api.data.StudioData.Preview;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * The schema and first rows of a Parquet object, read with Hardwood through ranged reads: the footer, then only the
 * first row group's column chunks, so a 50 GB file costs a few requests. Everything a file claims is bounded before
 * Hardwood allocates it: a footer over {@link #MAX_FOOTER_BYTES} is refused, and so is one whose lists or strings
 * claim more bytes than it has ({@link ThriftBounds}); a first row group over {@link #MAX_GROUP_BYTES} (as the footer
 * says, or as its pages add up) shows the schema only; and every page header is checked against that budget before
 * a page is handed over to be decompressed.
 */
final class ParquetPreview {
    static final long MAX_GROUP_BYTES = 64L << 20;
    static final int MAX_FOOTER_BYTES = 16 << 20;
    /** Values one page may claim: more than any writer puts in a page, far less than an allocation to fear. */
    static final long MAX_PAGE_VALUES = 8L << 20;

    private ParquetPreview() {}

    /** Where the bytes come from: at most {@code length} bytes from {@code offset} (fewer only at the end). */
    interface Ranges {
        byte[] read(long offset, int length);
    }

    static Preview of(Ranges ranges, String name, String key, long size, int maxRows) {
        var file = new CheckedFile(ranges, name, size);
        try (var reader = ParquetFileReader.open(file)) {
            var meta = reader.getFileMetaData();
            List<ColumnSchema> columns = reader.getFileSchema().getColumns();
            var header = new ArrayList<String>();
            var schema = new StringBuilder();
            for (ColumnSchema column : columns) {
                header.add(column.name());
                schema.append(column.name()).append(": ").append(column.type())
                        .append(column.logicalType() == null ? "" : " (" + column.logicalType() + ")")
                        .append(column.maxDefinitionLevel() > 0 ? ", nullable" : "").append('\n');
            }
            String summary = String.format("%,d rows in %d row group%s, %d column%s%n", meta.numRows(),
                    meta.rowGroups().size(), meta.rowGroups().size() == 1 ? "" : "s", columns.size(),
                    columns.size() == 1 ? "" : "s") + schema;
            var rows = new ArrayList<List<String>>();
            rows.add(header);
            String note = null;
            if (!meta.rowGroups().isEmpty() && meta.rowGroups().getFirst().totalByteSize() > MAX_GROUP_BYTES) {
                note = tooLarge(meta.rowGroups().getFirst().totalByteSize());
            } else if (!meta.rowGroups().isEmpty() && (note = file.checkPages(meta.rowGroups().getFirst())) != null) {
                // the pages add up to more than the footer said: schema only
            } else {
                try (var rowReader = reader.buildRowReader().head(maxRows).build()) {
                    while (rowReader.hasNext() && rows.size() <= maxRows) {
                        rowReader.next();
                        var row = new ArrayList<String>(columns.size());
                        for (int i = 0; i < columns.size(); i++) {
                            Object value = rowReader.isNull(i) ? null : rowReader.getValue(i);
                            row.add(value == null ? "" : value instanceof byte[] bytes ? "<" + bytes.length + " bytes>"
                                    : value.toString());
                        }
                        rows.add(row);
                    }
                }
            }
            return new Preview(key, size, "parquet", summary, rows, meta.numRows() > rows.size() - 1, note);
        } catch (DataException | SdkException e) {
            throw e; // said already, or a network failure for the caller to word
        } catch (IOException | RuntimeException e) {
            Throwable cause = e;
            while (cause.getCause() != null && !(cause instanceof DataException)) {
                cause = cause.getCause();
            }
            if (cause instanceof DataException said) {
                throw said;
            }
            throw new DataException("This is not a readable Parquet file: " + (e.getMessage() == null
                    ? e.getClass().getSimpleName() : e.getMessage()));
        }
    }

    private static String tooLarge(long bytes) {
        return "The first row group holds " + (bytes >> 20) + " MB; the preview shows the schema only. Download the "
                + "file to read its rows.";
    }

    /**
     * The object as Hardwood's random-access input, with every read bounded: the footer is checked before Hardwood
     * parses it, and the first row group's column chunks are fetched and their pages checked before Hardwood decodes
     * them (it then reads them from here, not again from the store).
     */
    private static final class CheckedFile implements InputFile {
        private final Ranges ranges;
        private final String name;
        private final long size;
        /** Checked column chunks by their first byte. */
        private final TreeMap<Long, byte[]> chunks = new TreeMap<>();

        CheckedFile(Ranges ranges, String name, long size) {
            this.ranges = ranges;
            this.name = name;
            this.size = size;
        }

        @Override
        public void open() {
            if (size < 12) {
                throw new DataException("This is not a Parquet file: it is only " + size + " bytes long.");
            }
        }

        @Override
        public ByteBuffer readRange(long offset, int length) {
            if (offset < 0 || length < 0 || offset + length > size) {
                throw new IndexOutOfBoundsException("bytes " + offset + "+" + length + " of " + size);
            }
            if (length == 0) {
                return ByteBuffer.allocate(0);
            }
            byte[] checked = fromChunks(offset, length);
            if (checked != null) {
                return ByteBuffer.wrap(checked);
            }
            boolean footer = offset + length == size - 8 && length > 8;
            if (footer && length > MAX_FOOTER_BYTES) {
                throw new DataException(String.format("This Parquet file's footer claims %,d MB; previews read "
                        + "footers up to %d MB.", length >> 20, MAX_FOOTER_BYTES >> 20));
            }
            if (length > MAX_GROUP_BYTES) {
                throw new DataException(String.format("This Parquet file asks for %,d MB at once; previews read at "
                        + "most %d MB.", length >> 20, MAX_GROUP_BYTES >> 20));
            }
            byte[] bytes = fetch(offset, length);
            if (footer) {
                try {
                    ThriftBounds.checkStruct(ByteBuffer.wrap(bytes));
                } catch (ThriftBounds.Malformed e) {
                    throw new DataException("This Parquet file's footer is damaged: " + e.getMessage() + ".");
                }
            }
            return ByteBuffer.wrap(bytes);
        }

        private byte[] fetch(long offset, int length) {
            byte[] bytes = ranges.read(offset, length);
            if (bytes.length != length) {
                throw new DataException("The store sent " + bytes.length + " bytes where " + length
                        + " were asked for; the object may have changed. Try again.");
            }
            return bytes;
        }

        /** The bytes from checked chunks, when they hold the whole range; null otherwise. */
        private byte[] fromChunks(long offset, int length) {
            var out = new byte[length];
            int done = 0;
            while (done < length) {
                var chunk = chunks.floorEntry(offset + done);
                if (chunk == null || chunk.getKey() + chunk.getValue().length <= offset + done) {
                    return null;
                }
                int from = (int) (offset + done - chunk.getKey());
                int n = Math.min(length - done, chunk.getValue().length - from);
                System.arraycopy(chunk.getValue(), from, out, done, n);
                done += n;
            }
            return out;
        }

        /**
         * Fetches the group's column chunks and walks their page headers: every page must fit in its chunk, claim a
         * bounded number of values, and all pages together no more than {@link #MAX_GROUP_BYTES} decompressed.
         * Returns a note when the group is too large to preview; throws when the file lies about its pages.
         */
        String checkPages(RowGroup group) {
            long fetched = 0;
            long decompressed = 0;
            for (ColumnChunk column : group.columns()) {
                long start = column.chunkStartOffset();
                long length = column.metaData().totalCompressedSize();
                if (start < 4 || length < 0 || start + length > size - 8) {
                    throw new DataException("This Parquet file's column '" + column.metaData().pathInSchema()
                            + "' lies outside the file.");
                }
                fetched += length;
                if (fetched > MAX_GROUP_BYTES) {
                    return tooLarge(fetched);
                }
                byte[] bytes = fetch(start, (int) length);
                var buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ThriftBounds.PageHeader page;
                    try {
                        page = ThriftBounds.pageHeader(buffer);
                    } catch (ThriftBounds.Malformed e) {
                        throw new DataException("This Parquet file has a damaged page header: " + e.getMessage() + ".");
                    }
                    if (page.compressedSize() < 0 || page.compressedSize() > buffer.remaining()
                            || page.uncompressedSize() < 0 || page.values() < 0) {
                        throw new DataException("This Parquet file has a page that claims more than its column "
                                + "holds.");
                    }
                    if (page.values() > MAX_PAGE_VALUES) {
                        throw new DataException(String.format("This Parquet file has a page of %,d values; previews "
                                + "read pages of up to %,d.", page.values(), MAX_PAGE_VALUES));
                    }
                    decompressed += page.uncompressedSize();
                    if (decompressed > MAX_GROUP_BYTES) {
                        return tooLarge(decompressed);
                    }
                    buffer.position(buffer.position() + (int) page.compressedSize());
                }
                chunks.put(start, bytes);
            }
            return null;
        }

        @Override
        public long length() {
            return size;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void close() {
            chunks.clear();
        }
    }
}
