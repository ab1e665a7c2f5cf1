package dev.kiln.machine.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A folder (or one file) as a zip or tar.gz stream, written as it is read: nothing is staged, so a 50 GB checkpoint
 * folder costs a 256 KB buffer. Symbolic links are left out (they could point anywhere); so is what {@code skip}
 * names (the workspace's {@code .git}, the agent's own folder). Entry names start with the folder's own name.
 * Compression is the fastest level: checkpoints and data barely compress, and the archive should stream at disk speed.
 */
public final class Archives {

    private Archives() {}

    /** The archive formats Kiln offers, by the name the API takes. */
    public enum Format {
        ZIP("zip", "application/zip"), TAR_GZ("tar.gz", "application/gzip");

        private final String extension;
        private final String contentType;

        Format(String extension, String contentType) {
            this.extension = extension;
            this.contentType = contentType;
        }

        public String extension() {
            return extension;
        }

        public String contentType() {
            return contentType;
        }

        /** zip, tar.gz (or tgz); anything else is refused with the choices. */
        public static Format of(String name) {
            return switch (name == null ? "zip" : name.toLowerCase(Locale.ROOT)) {
                case "zip" -> ZIP;
                case "tar.gz", "tgz", "targz" -> TAR_GZ;
                default -> throw FileRefusal.invalid("Download folders as zip or tar.gz, not " + name + ".");
            };
        }
    }

    /** Writes {@code root} (a folder or a file) to {@code out} as {@code format}; returns the bytes of file content. */
    public static long write(Path root, Format format, OutputStream out, Predicate<Path> skip) throws IOException {
        return write(root, root.getFileName() == null ? "home" : root.getFileName().toString(), format, out, skip);
    }

    /** As {@link #write(Path, Format, OutputStream, Predicate)}, the entries under {@code top} instead of the folder's name. */
    public static long write(Path root, String top, Format format, OutputStream out, Predicate<Path> skip)
            throws IOException {
        return switch (format) {
            case ZIP -> zip(root, top, out, skip);
            case TAR_GZ -> tarGz(root, top, out, skip);
        };
    }

    private static long zip(Path root, String top, OutputStream out, Predicate<Path> skip) throws IOException {
        var zip = new ZipOutputStream(out);
        zip.setLevel(Deflater.BEST_SPEED);
        long[] bytes = {0};
        byte[] buffer = new byte[256 * 1024];
        walk(root, top, skip, new Visitor() {
            @Override
            public void directory(String name, BasicFileAttributes attributes) throws IOException {
                var entry = new ZipEntry(name + "/");
                entry.setTime(attributes.lastModifiedTime().toMillis());
                zip.putNextEntry(entry);
                zip.closeEntry();
            }

            @Override
            public void file(String name, Path file, BasicFileAttributes attributes) throws IOException {
                var entry = new ZipEntry(name);
                entry.setTime(attributes.lastModifiedTime().toMillis());
                zip.putNextEntry(entry);
                try (InputStream in = Files.newInputStream(file)) {
                    int n;
                    while ((n = in.read(buffer)) > 0) {
                        zip.write(buffer, 0, n);
                        bytes[0] += n;
                    }
                }
                zip.closeEntry();
            }
        });
        zip.finish();
        zip.flush();
        return bytes[0];
    }

    private static long tarGz(Path root, String top, OutputStream out, Predicate<Path> skip) throws IOException {
        var gzip = new GZIPOutputStream(out, 256 * 1024) {
            {
                def.setLevel(Deflater.BEST_SPEED);
            }
        };
        var tar = new TarWriter(gzip);
        walk(root, top, skip, new Visitor() {
            @Override
            public void directory(String name, BasicFileAttributes attributes) throws IOException {
                tar.directory(name, attributes.lastModifiedTime().toMillis());
            }

            @Override
            public void file(String name, Path file, BasicFileAttributes attributes) throws IOException {
                try (InputStream in = Files.newInputStream(file)) {
                    tar.file(name, attributes.size(), attributes.lastModifiedTime().toMillis(), executable(file), in);
                }
            }
        });
        tar.finish();
        gzip.finish();
        gzip.flush();
        return tar.bytesWritten();
    }

    private static boolean executable(Path file) {
        try {
            return Files.getPosixFilePermissions(file).contains(PosixFilePermission.OWNER_EXECUTE);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private interface Visitor {
        void directory(String name, BasicFileAttributes attributes) throws IOException;

        void file(String name, Path file, BasicFileAttributes attributes) throws IOException;
    }

    private static void walk(Path root, String top, Predicate<Path> skip, Visitor visitor) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                if (!dir.equals(root) && skip.test(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                visitor.directory(name(dir), attributes);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                // Links are not followed by the walk, and not stored: one could lead out of the home.
                if (attributes.isRegularFile() && !skip.test(file)) {
                    visitor.file(name(file), file, attributes);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // vanished or unreadable while walking: left out
            }

            private String name(Path path) {
                String relative = root.relativize(path).toString().replace(java.io.File.separatorChar, '/');
                return relative.isEmpty() ? top : top + "/" + relative;
            }
        });
    }
}
