package dev.kiln.machine.local;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * When the server runs as root, each studio's machine runs as a user id of its own, so two machines cannot touch each
 * other's files or processes even outside their sandboxes. Ids are handed out from {@value #FIRST} upwards (far above
 * the accounts a host has) and remembered in the machine's directory ({@code uid}), so a studio keeps its id, and the
 * files in its home stay its own, across every switch and restart.
 */
final class MachineUids {
    static final int FIRST = 200_000;

    private final Path machinesDir;

    MachineUids(Path machinesDir) {
        this.machinesDir = machinesDir;
    }

    synchronized int uidOf(String studioId) throws IOException {
        Path file = machinesDir.resolve(studioId).resolve("uid");
        if (Files.exists(file)) {
            return Integer.parseInt(Files.readString(file).strip());
        }
        int next = FIRST;
        if (Files.isDirectory(machinesDir)) {
            try (Stream<Path> dirs = Files.list(machinesDir)) {
                for (Path dir : dirs.toList()) {
                    Path other = dir.resolve("uid");
                    if (Files.isRegularFile(other)) {
                        next = Math.max(next, Integer.parseInt(Files.readString(other).strip()) + 1);
                    }
                }
            }
        }
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling("uid.tmp");
        Files.writeString(tmp, next + "\n");
        Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return next;
    }

    /**
     * Gives the home to the machine's user (its files were made by the server, or by an older Kiln that ran
     * machines as root). Walks only when the top is not already theirs; never follows a link out of the home.
     */
    static void own(Path home, int uid) throws IOException {
        if (uid == ((Integer) Files.getAttribute(home, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
            return;
        }
        Files.walkFileTree(home, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                chown(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                chown(file);
                return FileVisitResult.CONTINUE;
            }

            private void chown(Path path) throws IOException {
                Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
                Files.setAttribute(path, "unix:gid", uid, LinkOption.NOFOLLOW_LINKS);
            }
        });
        Files.setPosixFilePermissions(home, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }
}
