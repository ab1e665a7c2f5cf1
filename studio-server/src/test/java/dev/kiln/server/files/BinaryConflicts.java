package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.server.studio.Workspaces;
import dev.kiln.server.workspace.Workspace;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.springframework.context.ApplicationContext;

import java.util.Base64;
import java.util.List;

/**
 * A binary workspace file changed in the studio and on the machine at the same moment, in a fixed order: the
 * studio's change is committed first, then the machine's report of its change (made from the version both started
 * from) is applied as the agent would send it. A real race would pick the order by chance.
 */
public final class BinaryConflicts {
    private BinaryConflicts() {
    }

    /**
     * Commits {@code original} at {@code path}, then the studio's {@code studios} over it, then applies the machine's
     * {@code machines} made from {@code original}.
     */
    public static void make(ApplicationContext context, String studioId, String path, byte[] original, byte[] studios,
                            byte[] machines) {
        Workspace workspace = context.getBean(Workspaces.class).get(studioId);
        var person = new PersonIdent("Fay Files", "fay@kiln.local");
        workspace.writeAndCommit(List.of(new Workspace.FileWrite(path, original)), person, "Add " + path);
        String base = workspace.fileVersion(path);
        workspace.writeAndCommit(List.of(new Workspace.FileWrite(path, studios)), person, "Change " + path);
        String blob = new ObjectInserter.Formatter().idFor(Constants.OBJ_BLOB, machines).name();
        context.getBean(MachineEdits.class).apply(studioId, List.of(new FromMachine.FsChange(path, base, blob,
                machines.length, Base64.getEncoder().encodeToString(machines))));
    }
}
