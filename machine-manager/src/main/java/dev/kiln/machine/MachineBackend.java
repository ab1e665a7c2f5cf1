package dev.kiln.machine;

import java.util.List;
import java.util.Set;

import dev.kiln.machine.catalog.MachineType;
import dev.kiln.machine.plan.Actuator;

/**
 * Where studios' machines run, keyed by studio id: local agent processes on this host (the embedded default), or
 * pods on a Kubernetes cluster. The reconciler observes and acts through {@link Actuator}; the rest tells the UI what
 * can be offered and wakes the reconciler when something changes.
 */
public interface MachineBackend extends Actuator<String> {

    /** The catalog types this backend can provide at all (a GPU type needs GPU nodes, or a local GPU). */
    List<MachineType> offerable();

    /** Why a type cannot be provided here, or null when it can. */
    String whyNot(MachineType type);

    /** Studios that have machine processes or pods right now (to find machines whose studio was deleted). */
    Set<String> studiosWithMachines();

    /** Called when a machine changes (a process exits, a pod event), so the reconciler acts at once. */
    void onChange(Runnable listener);

    /**
     * Null when machines here are sandboxes (pods, or local machines in bubblewrap); else why not, in a sentence for
     * the person starting one. Without a sandbox, only a studio's owner may run code on its machine.
     */
    default String unsandboxedReason() {
        return null;
    }

    /**
     * The studio was deleted and its machine has stopped: put what is left of it (the local home) in the trash.
     * On Kubernetes the studio's anchor goes, and the garbage collector deletes its volume claim and token Secret.
     */
    default void discard(String studioId) {
    }

    /** The server is shutting down: local machines stop with it; pods keep running and their agents reconnect. */
    void shutdown();
}
