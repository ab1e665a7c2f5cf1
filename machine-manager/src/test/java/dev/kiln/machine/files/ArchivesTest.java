package dev.kiln.machine.files;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Folders as zip and tar.gz, read back by independent readers (Python's {@code zipfile} and GNU {@code tar}):
 * every file byte for byte, long and non-ASCII names, empty folders, and symbolic links and skipped folders left out.
 */
class ArchivesTest {
    @TempDir
    Path temp;

    Path folder() throws Exception {
        Path root = temp.resolve("checkpoints");
        Files.createDirectories(root.resolve("last"));
        Files.createDirectories(root.resolve("empty"));
        Files.createDirectories(root.resolve(".git"));
        Files.writeString(root.resolve(".git/HEAD"), "ref: refs/heads/main\n");
        Files.writeString(root.resolve("last/meta.json"), "{\"step\":10}\n");
        byte[] weights = new byte[700_000];
        new java.util.Random(7).nextBytes(weights);
        Files.write(root.resolve("last/model.safetensors"), weights);
        String longName = "a-rather-long-file-name-".repeat(6) + "é.txt";
        Files.writeString(root.resolve(longName), "long\n");
        Files.createSymbolicLink(root.resolve("escape"), Path.of("/etc"));
        return root;
    }

    @Test
    void zipReadByPythonsZipfile() throws Exception {
        // Python's zipfile, not Info-ZIP's unzip 6.0: that one reads UTF-8 names of a Java-made zip as code page 437.
        assumeTrue(python(), "needs python3");
        Path root = folder();
        Path zip = temp.resolve("out.zip");
        try (OutputStream out = Files.newOutputStream(zip)) {
            Archives.write(root, Archives.Format.ZIP, out, p -> p.getFileName().toString().equals(".git"));
        }
        Path unpacked = temp.resolve("unzipped");
        run(List.of("python3", "-m", "zipfile", "-e", zip.toString(), unpacked.toString()));
        assertSameFiles(root, unpacked.resolve("checkpoints"));
    }

    @Test
    void tarGzReadByGnuTar() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/tar")), "needs tar");
        Path root = folder();
        Path archive = temp.resolve("out.tar.gz");
        try (OutputStream out = Files.newOutputStream(archive)) {
            Archives.write(root, Archives.Format.TAR_GZ, out, p -> p.getFileName().toString().equals(".git"));
        }
        Path unpacked = Files.createDirectories(temp.resolve("untarred"));
        run(List.of("tar", "-xzf", archive.toString(), "-C", unpacked.toString()));
        assertSameFiles(root, unpacked.resolve("checkpoints"));
    }

    @Test
    void paxRecordsCountTheirOwnLength() {
        assertThat(TarWriter.record("path", "x")).isEqualTo("9 path=x\n");
        // 98 bytes without its length, which takes three digits once counted: 101 in all.
        String record = TarWriter.record("path", "y".repeat(91));
        assertThat(record).startsWith("101 ");
        assertThat(record.getBytes(StandardCharsets.UTF_8)).hasSize(101);
    }

    @Test
    void formatsByName() {
        assertThat(Archives.Format.of("tar.gz")).isEqualTo(Archives.Format.TAR_GZ);
        assertThat(Archives.Format.of(null)).isEqualTo(Archives.Format.ZIP);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Archives.Format.of("rar"))
                .hasMessageContaining("zip or tar.gz");
    }

    private static void assertSameFiles(Path original, Path unpacked) throws Exception {
        assertThat(unpacked.resolve("last/model.safetensors")).hasSameBinaryContentAs(original.resolve("last/model.safetensors"));
        assertThat(unpacked.resolve("last/meta.json")).hasContent("{\"step\":10}");
        assertThat(unpacked.resolve("a-rather-long-file-name-".repeat(6) + "é.txt")).hasContent("long");
        assertThat(unpacked.resolve("empty")).isDirectory();
        assertThat(unpacked.resolve(".git")).as("skipped").doesNotExist();
        assertThat(unpacked.resolve("escape")).as("links are left out").doesNotExist();
    }

    private static boolean python() {
        try {
            return new ProcessBuilder("python3", "--version").start().waitFor() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static void run(List<String> command) throws Exception {
        var builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.environment().put("LANG", "C.UTF-8"); // unzip decodes UTF-8 names only under a UTF-8 locale
        var process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }
}
