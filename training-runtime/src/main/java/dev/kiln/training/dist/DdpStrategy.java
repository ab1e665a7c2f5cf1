package dev.kiln.training.dist;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.AllreduceOptions;
import org.bytedeco.pytorch.Backend;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ProcessGroupGloo;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.Work;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.nccl.ProcessGroupNCCL;

import dev.kiln.training.TrainingException;
import dev.kiln.training.runtime.NativeErrors;
import dev.kiln.training.runtime.Tensors;

/**
 * Distributed data parallel over libtorch's c10d: rendezvous through a {@code TCPStore} hosted by rank 0, then
 * {@code ProcessGroupGloo} on CPU or {@code ProcessGroupNCCL} on CUDA. Rank 0's weights are broadcast at start;
 * after each backward pass gradients are flattened into buckets of about 25 MB, all buckets are all-reduced
 * concurrently, and the averages are copied back. Every collective has a timeout, so a dead peer ends training
 * with an error instead of a hang.
 */
public final class DdpStrategy implements Strategy {
    static final long BUCKET_BYTES = 25L << 20;

    private final DistributedEnv env;
    private final Device device;
    private final TCPStore store;
    private final Backend group;
    private long lastReduceNanos;

    private DdpStrategy(DistributedEnv env, Device device, TCPStore store, Backend group) {
        this.env = env;
        this.device = device;
        this.store = store;
        this.group = group;
    }

    public static DdpStrategy connect(DistributedEnv env, Device device, Duration timeout) {
        var options = new TCPStoreOptions();
        options.port((short) env.masterPort());
        options.isServer(env.rank() == 0);
        options.numWorkers(new SizeTPointer(1).put(env.worldSize()));
        options.waitWorkers(false);
        options.timeout(new Milliseconds(timeout.toMillis()));
        TCPStore store;
        try {
            store = new TCPStore(env.masterAddr(), options);
        } catch (RuntimeException e) {
            throw new TrainingException("Rank " + env.rank() + " could not reach the rendezvous at " + env.masterAddr()
                    + ":" + env.masterPort() + " within " + timeout.toSeconds() + " s: " + NativeErrors.firstLine(e)
                    + ". Check MASTER_ADDR and MASTER_PORT, and that rank 0 is running.", e);
        }
        Backend group;
        try {
            if (device.is_cuda()) {
                var ncclOptions = ProcessGroupNCCL.Options.create();
                ncclOptions.timeout(new Milliseconds(timeout.toMillis()));
                group = new ProcessGroupNCCL(store, env.rank(), env.worldSize(), ncclOptions);
            } else {
                var glooOptions = new ProcessGroupGloo.Options(new Milliseconds(timeout.toMillis()));
                glooOptions.devices().push_back(glooDevice(env));
                group = new ProcessGroupGloo(store, env.rank(), env.worldSize(), glooOptions);
            }
        } catch (RuntimeException e) {
            throw new TrainingException("Rank " + env.rank() + " of " + env.worldSize() + " could not join the process "
                    + "group within " + timeout.toSeconds() + " s (are all " + env.worldSize() + " ranks running?): "
                    + NativeErrors.firstLine(e), e);
        }
        return new DdpStrategy(env, device, store, group);
    }

    private static org.bytedeco.pytorch.gloo.Device glooDevice(DistributedEnv env) {
        String iface = System.getenv("GLOO_SOCKET_IFNAME");
        if (iface != null && !iface.isBlank()) {
            return ProcessGroupGloo.createDeviceForInterface(iface);
        }
        String addr = env.masterAddr();
        if (addr.equals("localhost") || addr.startsWith("127.")) {
            return ProcessGroupGloo.createDeviceForHostname("127.0.0.1");
        }
        return ProcessGroupGloo.createDefaultDevice();
    }

    @Override public int rank() { return env.rank(); }
    @Override public int worldSize() { return env.worldSize(); }
    @Override public int localRank() { return env.localRank(); }
    @Override public Device device() { return device; }

    @Override
    public void setup(Module module) {
        if (!device.is_cpu()) {
            module.to(device, false);
        }
        var tensors = new ArrayList<Tensor>();
        tensors.addAll(values(module.named_parameters()));
        tensors.addAll(values(module.named_buffers()));
        for (Tensor tensor : tensors) {
            run("broadcast of initial weights", group.broadcast(new TensorVector(tensor.detach())));
        }
    }

    private static List<Tensor> values(org.bytedeco.pytorch.StringTensorDict dict) {
        var values = new ArrayList<Tensor>();
        var items = dict.items();
        for (long i = 0; i < items.size(); i++) {
            values.add(Tensors.own(items.get(i).value()));
        }
        return values;
    }

    @Override
    public void reduceGradients(List<Tensor> parameters) {
        long start = System.nanoTime();
        var buckets = new ArrayList<List<Tensor>>();
        var current = new ArrayList<Tensor>();
        long currentBytes = 0;
        for (Tensor parameter : parameters) {
            if (!parameter.requires_grad()) {
                continue;
            }
            Tensor grad = parameter.grad();
            if (!grad.defined()) {
                // A parameter this rank did not use still takes part, or the buckets would differ between ranks.
                parameter.mutable_grad().put(torch.zeros_like(parameter));
                grad = parameter.grad();
            }
            if (!current.isEmpty() && (currentBytes + grad.nbytes() > BUCKET_BYTES
                    || grad.scalar_type().intern() != current.getFirst().scalar_type().intern())) {
                buckets.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(grad);
            currentBytes += grad.nbytes();
        }
        if (!current.isEmpty()) {
            buckets.add(current);
        }
        var flats = new ArrayList<Tensor>();
        var works = new ArrayList<Work>();
        for (List<Tensor> bucket : buckets) {
            var parts = new TensorVector();
            for (Tensor grad : bucket) {
                parts.push_back(grad.reshape(-1));
            }
            Tensor flat = torch.cat(parts, 0);
            flats.add(flat);
            works.add(group.allreduce(new TensorVector(flat), new AllreduceOptions()));
        }
        var divisor = new Scalar(env.worldSize());
        for (int b = 0; b < buckets.size(); b++) {
            run("gradient all-reduce", works.get(b));
            Tensor flat = flats.get(b).div_(divisor);
            long offset = 0;
            for (Tensor grad : buckets.get(b)) {
                long count = grad.numel();
                grad.copy_(flat.narrow(0, offset, count).view_as(grad));
                offset += count;
            }
        }
        lastReduceNanos = System.nanoTime() - start;
    }

    @Override
    public double[] allReduceSum(double[] values) {
        Tensor tensor = Tensors.fromDoubles(values, values.length);
        if (!device.is_cpu()) {
            tensor = tensor.to(device, tensor.scalar_type());
        }
        run("metric all-reduce", group.allreduce(new TensorVector(tensor), new AllreduceOptions()));
        return Tensors.toDoubles(tensor);
    }

    @Override
    public void barrier() {
        run("barrier", group.barrier());
    }

    @Override
    public long lastReduceNanos() {
        return lastReduceNanos;
    }

    private void run(String what, Work work) {
        try {
            work._wait();
        } catch (RuntimeException e) {
            throw new PeerLostException("Rank " + env.rank() + ": " + what + " failed, another rank stopped or is "
                    + "unreachable (" + NativeErrors.firstLine(e) + "). Training stops on every rank; the launcher "
                    + "reports which rank failed first.", e);
        }
    }

    @Override
    public void close() {
        group.close();
        store.close();
    }

    /** A collective failed because a peer died or hung past the timeout. */
    public static final class PeerLostException extends TrainingException {
        PeerLostException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
