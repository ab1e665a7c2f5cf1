package dev.kiln.server.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Real full disks for a machine: small tmpfs filesystems mounted in its home before it starts (the sandbox binds the
 * home with what is mounted in it). {@code ~/tiny} holds 1 MB; {@code ~/few} has room for bytes but only a handful
 * of files, so it fills when a file is created. Needs root (CI runs as root); where mounting is not allowed, none
 * are mounted and the tests that need them are skipped.
 */
final class SmallDisk {
    private SmallDisk() {
    }

    /** Mounts ~/tiny and ~/few under {@code home}; the mount points made, or none when this host cannot mount. */
    static List<Path> mountBoth(Path home) {
        var mounted = new ArrayList<Path>();
        try {
            Path tiny = Files.createDirectories(home.resolve("tiny"));
            Path few = Files.createDirectories(home.resolve("few"));
            if (mount(tiny, "size=1m,mode=1777")) {
                mounted.add(tiny);
            }
            if (mount(few, "size=8m,nr_inodes=8,mode=1777")) {
                mounted.add(few);
            }
        } catch (IOException e) {
            // no small disks: the tests that need them say so and are skipped
        }
        return mounted;
    }

    static void unmountAll(List<Path> mounted) {
        for (Path point : mounted) {
            run(List.of("umount", "-l", point.toString()));
        }
    }

    private static boolean mount(Path point, String options) {
        return run(List.of("mount", "-t", "tmpfs", "-o", options, "kiln-test-disk", point.toString()));
    }

    private static boolean run(List<String> command) {
        try {
            var process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return process.waitFor(30, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
