package dev.kiln.machine.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.ResetCommand;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.UsernamePasswordCredentialsProvider;

/**
 * Keeps {@code ~/workspace} on the machine at the studio's latest commit, over git's smart HTTP protocol from the
 * server's read-only endpoint, authenticated with the machine's token. Files a job or the terminal created stay
 * (they are untracked); a tracked file changed on the machine is first committed to a side branch
 * ({@code machine/<time>}) so a sync never loses work.
 */
final class WorkspaceSync {
    static final String DIRECTORY = "workspace";
    static final String BRANCH = "main";

    private final Path workspace;
    private final String remote;
    private final CredentialsProvider credentials;

    WorkspaceSync(Path home, String serverUrl, String studioId, String token) {
        this.workspace = home.resolve(DIRECTORY);
        this.remote = serverUrl.replaceAll("/$", "") + "/git/" + studioId + ".git";
        this.credentials = new UsernamePasswordCredentialsProvider("kiln-agent", token);
    }

    /** Brings the workspace to the server's latest commit and returns it; a side branch name if work was kept. */
    synchronized Result sync() throws GitAPIException, IOException {
        if (!Files.isDirectory(workspace.resolve(".git"))) {
            Files.createDirectories(workspace);
            try (Git git = Git.cloneRepository().setURI(remote).setDirectory(workspace.toFile())
                    .setBranch(BRANCH).setCredentialsProvider(credentials).call()) {
                return new Result(head(git), null);
            }
        }
        try (Git git = Git.open(workspace.toFile())) {
            git.fetch().setRemote(remote).setCredentialsProvider(credentials)
                    .setRefSpecs("+refs/heads/" + BRANCH + ":refs/remotes/origin/" + BRANCH).call();
            String kept = null;
            var status = git.status().call();
            if (!status.getModified().isEmpty() || !status.getChanged().isEmpty() || !status.getRemoved().isEmpty()
                    || !status.getMissing().isEmpty()) {
                kept = "machine/" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
                        .format(Instant.now());
                git.add().addFilepattern(".").setUpdate(true).call();
                var who = new PersonIdent("Kiln machine", "machine@kiln.local");
                git.commit().setMessage("Changes made on the machine, kept before a sync").setAuthor(who)
                        .setCommitter(who).call();
                git.branchCreate().setName(kept).call();
            }
            git.reset().setMode(ResetCommand.ResetType.HARD).setRef("refs/remotes/origin/" + BRANCH).call();
            return new Result(head(git), kept);
        }
    }

    private static String head(Git git) throws IOException {
        ObjectId head = git.getRepository().resolve("HEAD");
        return head == null ? null : head.name();
    }

    record Result(String commit, String keptBranch) {}
}
