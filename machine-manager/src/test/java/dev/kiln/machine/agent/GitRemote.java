package dev.kiln.machine.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.PersonIdent;

/** A studio's repository as the server keeps it (a plain git repository with a work tree), for the agent's tests. */
final class GitRemote implements AutoCloseable {
    final Path dir;
    final Git git;

    private GitRemote(Path dir, Git git) {
        this.dir = dir;
        this.git = git;
    }

    static GitRemote create(Path dir) {
        try {
            Files.createDirectories(dir);
            return new GitRemote(dir, Git.init().setDirectory(dir.toFile()).setInitialBranch("main").call());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes (text != null) or deletes files and commits them as a user of the studio; returns the commit id. */
    String commit(String message, String... pathsAndTexts) {
        try {
            for (int i = 0; i < pathsAndTexts.length; i += 2) {
                Path file = dir.resolve(pathsAndTexts[i]);
                if (pathsAndTexts[i + 1] == null) {
                    Files.deleteIfExists(file);
                    git.rm().addFilepattern(pathsAndTexts[i]).call();
                } else {
                    Files.createDirectories(file.getParent());
                    Files.writeString(file, pathsAndTexts[i + 1], StandardCharsets.UTF_8);
                    git.add().addFilepattern(pathsAndTexts[i]).call();
                }
            }
            var who = new PersonIdent("Ada", "ada@example.com");
            return git.commit().setMessage(message).setAuthor(who).setCommitter(who).call().name();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GitAPIException e) {
            throw new IllegalStateException(e);
        }
    }

    String uri() {
        return dir.toUri().toString();
    }

    @Override
    public void close() {
        git.close();
    }
}
