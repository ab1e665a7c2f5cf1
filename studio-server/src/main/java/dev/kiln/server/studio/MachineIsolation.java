package dev.kiln.server.studio;

/**
 * Whether code that people run on a studio's machine (terminal, jobs) is kept away from the server and other
 * studios. Where it is not (no sandbox could be made on this host, or an admin turned it off), only a studio's owner
 * may run code on its machine: a teammate's shell would otherwise act as the server.
 *
 * @param unsandboxedReason null when machines are sandboxed; else the sentence shown at start and in the machine dialog
 */
public record MachineIsolation(String unsandboxedReason) {
    public static final MachineIsolation SANDBOXED = new MachineIsolation(null);

    public boolean sandboxed() {
        return unsandboxedReason == null;
    }
}
