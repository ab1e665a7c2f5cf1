package dev.kiln.training;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.DeviceType;

import dev.kiln.training.dist.DdpStrategy;
import dev.kiln.training.dist.DistributedEnv;
import dev.kiln.training.dist.SingleDeviceStrategy;
import dev.kiln.training.dist.Strategy;
import dev.kiln.training.runtime.Threads;

/**
 * What a Trainer runs on, decided once when it first runs: the configuration checked against this machine, the
 * threads, the device, the strategy (joined to its process group) and the precision plugin.
 *
 * @param onCpu kept as a value because asking the device costs JNI calls, and the loops ask on every batch
 */
record TrainerSetup(Strategy strategy, Threads.Choice threads, PrecisionPlugin precision, boolean onCpu) {
    static TrainerSetup start(TrainerConfig config) {
        var env = config.environment();
        boolean cuda = torch.cuda_is_available();
        TrainerConfig.Resolved resolved = config.resolve(env, cuda, cuda ? torch.cuda_device_count() : 0);
        DistributedEnv dist = resolved.distributed();
        int cores = Runtime.getRuntime().availableProcessors();
        Threads.Choice threads = Threads.apply(Threads.choose(config.threads(), env, cores, dist.localWorldSize()));
        if (config.verbose()) {
            config.out().println(threads.describe(cores, dist.localWorldSize()));
        }
        boolean onCuda = resolved.accelerator() == Accelerator.CUDA;
        Device device = onCuda ? new Device(DeviceType.CUDA, (byte) dist.localRank()) : new Device("cpu");
        PrecisionPlugin precision = PrecisionPlugin.of(config.precision(), device, GradientClipping.of(config));
        if (config.seed() != null) {
            torch.manual_seed(config.seed());
            if (onCuda) {
                torch.cuda_manual_seed_all(config.seed());
            }
        }
        if (config.deterministic()) {
            torch.globalContext().setDeterministicAlgorithms(true, false);
            torch.globalContext().setDeterministicCuDNN(true);
        }
        Strategy strategy = resolved.strategy() == StrategyKind.DDP
                ? DdpStrategy.connect(dist, device, config.distributedTimeout())
                : new SingleDeviceStrategy(device);
        return new TrainerSetup(strategy, threads, precision, !onCuda);
    }
}
