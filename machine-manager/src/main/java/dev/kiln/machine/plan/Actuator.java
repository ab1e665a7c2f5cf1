package dev.kiln.machine.plan;

/** The seam between the planner and a backend (Kubernetes, local processes): observe a studio, perform a step. */
public interface Actuator<S> {
    ObservedMachine observe(S studio, String desiredType);

    void perform(S studio, MachineStep step);
}
