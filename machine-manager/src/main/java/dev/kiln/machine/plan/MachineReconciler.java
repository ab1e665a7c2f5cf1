package dev.kiln.machine.plan;

import java.time.Clock;
import java.util.function.Consumer;

/**
 * One reconcile pass: observe, plan, perform. It remembers nothing between passes, so it can run on every change
 * (an informer event, a user's click, a timer) and after a server restart, and it always does the same for the same
 * observation. A {@link MachineStep.Revert} is carried out by storing the new desired state; the next pass acts on it.
 */
public final class MachineReconciler<S> {
    private final Actuator<S> actuator;
    private final MachinePlanner planner;
    private final Clock clock;

    public MachineReconciler(Actuator<S> actuator, MachinePlanner planner, Clock clock) {
        this.actuator = actuator;
        this.planner = planner;
        this.clock = clock;
    }

    public MachinePlan reconcile(S studio, DesiredMachine desired, Consumer<DesiredMachine> storeDesired) {
        MachinePlan plan = planner.plan(desired, actuator.observe(studio, desired.machineType()), clock.instant());
        for (MachineStep step : plan.steps()) {
            if (step instanceof MachineStep.Revert revert) {
                storeDesired.accept(new DesiredMachine(desired.studioId(), revert.toType(), true, null));
            } else {
                actuator.perform(studio, step);
            }
        }
        return plan;
    }
}
