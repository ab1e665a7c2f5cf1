package dev.kiln.training.optim;

import java.util.Map;

import org.bytedeco.pytorch.Optimizer;

/** Shared bookkeeping: base rates read from the optimizer once, a step counter, and setting the rates. */
abstract class ScheduleBase implements LrScheduler {
    private final Optimizer optimizer;
    private final Interval interval;
    private final double[] baseLrs;
    private long count;

    ScheduleBase(Optimizer optimizer, Interval interval) {
        this.optimizer = optimizer;
        this.interval = interval;
        var groups = optimizer.param_groups();
        this.baseLrs = new double[(int) groups.size()];
        for (int i = 0; i < baseLrs.length; i++) {
            baseLrs[i] = groups.get(i).options().get_lr();
        }
    }

    /** Sets the starting rates; subclasses call it once their own fields are set. */
    final void start() {
        apply();
    }

    /** The rate for a group after {@code count} steps of the schedule. */
    abstract double lrAt(double baseLr, long count);

    @Override
    public Interval interval() {
        return interval;
    }

    @Override
    public void step() {
        count++;
        apply();
    }

    private void apply() {
        var groups = optimizer.param_groups();
        for (int i = 0; i < baseLrs.length; i++) {
            groups.get(i).options().set_lr(lrAt(baseLrs[i], count));
        }
    }

    @Override
    public double[] currentLrs() {
        var groups = optimizer.param_groups();
        double[] lrs = new double[(int) groups.size()];
        for (int i = 0; i < lrs.length; i++) {
            lrs[i] = groups.get(i).options().get_lr();
        }
        return lrs;
    }

    @Override
    public Map<String, Object> state() {
        return Map.of("count", count);
    }

    @Override
    public void loadState(Map<String, Object> state) {
        count = ((Number) state.get("count")).longValue();
        apply();
    }
}
