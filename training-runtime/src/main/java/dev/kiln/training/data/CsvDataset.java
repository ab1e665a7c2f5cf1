package dev.kiln.training.data;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

import dev.kiln.training.runtime.Tensors;

/**
 * Numeric CSV files with a header row. Every column but the target is a float feature. Errors name the file, the
 * line and the column, because a typo in row 40,000 is otherwise a needle in a haystack.
 */
public final class CsvDataset {
    private CsvDataset() {}

    /** Features as float [rows, columns-1]; the target column as class indices, long [rows]. */
    public static TensorDataset classification(Path file, String targetColumn) {
        return read(file, targetColumn, true);
    }

    /** Features as float [rows, columns-1]; the target column as float [rows, 1]. */
    public static TensorDataset regression(Path file, String targetColumn) {
        return read(file, targetColumn, false);
    }

    private static TensorDataset read(Path file, String targetColumn, boolean classes) {
        var format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).setTrim(true)
                .setIgnoreEmptyLines(true).get();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             var parser = format.parse(reader)) {
            List<String> header = parser.getHeaderNames();
            int target = header.indexOf(targetColumn);
            if (target < 0) {
                throw new DataFormatException(file + " has no column '" + targetColumn + "'; its columns are "
                        + String.join(", ", header));
            }
            int features = header.size() - 1;
            var x = new FloatList();
            var y = new ArrayList<Number>();
            for (CSVRecord record : parser) {
                long line = parser.getCurrentLineNumber();
                if (record.size() != header.size()) {
                    throw new DataFormatException(file + " line " + line + " has " + record.size()
                            + " values but the header has " + header.size() + " columns");
                }
                for (int column = 0; column < record.size(); column++) {
                    String text = record.get(column);
                    if (column == target) {
                        y.add(classes ? parseLabel(file, line, header.get(column), text)
                                : parseFloat(file, line, header.get(column), text));
                    } else {
                        x.add(parseFloat(file, line, header.get(column), text));
                    }
                }
            }
            int rows = y.size();
            if (rows == 0) {
                throw new DataFormatException(file + " has a header but no data rows");
            }
            var xs = Tensors.fromFloats(x.toArray(), rows, features);
            if (classes) {
                long[] labels = y.stream().mapToLong(Number::longValue).toArray();
                return new TensorDataset(xs, Tensors.fromLongs(labels, rows));
            }
            float[] values = new float[rows];
            for (int i = 0; i < rows; i++) {
                values[i] = y.get(i).floatValue();
            }
            return new TensorDataset(xs, Tensors.fromFloats(values, rows, 1));
        } catch (IOException e) {
            throw new DataFormatException("Cannot read " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new DataFormatException(file + " is not a valid CSV file: " + CsvProblems.describe(e));
        }
    }

    private static float parseFloat(Path file, long line, String column, String text) {
        try {
            return Float.parseFloat(text);
        } catch (NumberFormatException e) {
            throw new DataFormatException(file + " line " + line + ", column '" + column + "': '" + text
                    + "' is not a number");
        }
    }

    private static long parseLabel(Path file, long line, String column, String text) {
        try {
            long label = Long.parseLong(text);
            if (label < 0) {
                throw new NumberFormatException();
            }
            return label;
        } catch (NumberFormatException e) {
            throw new DataFormatException(file + " line " + line + ", column '" + column + "': '" + text
                    + "' is not a class index (a whole number from 0)");
        }
    }

    private static final class FloatList {
        private float[] values = new float[1024];
        private int size;

        void add(float value) {
            if (size == values.length) {
                values = java.util.Arrays.copyOf(values, size * 2);
            }
            values[size++] = value;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(values, size);
        }
    }
}
