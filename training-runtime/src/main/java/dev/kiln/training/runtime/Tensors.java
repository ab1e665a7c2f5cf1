package dev.kiln.training.runtime;

import java.util.Arrays;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between Java arrays and CPU tensors. Every result owns its memory (no views of Java buffers). */
public final class Tensors {
    private Tensors() {}

    /**
     * An owned handle to the same tensor. Tensors read out of a TensorVector or a dictionary point into that
     * container's storage and dangle once the container is collected; keep this copy instead.
     */
    public static Tensor own(Tensor tensor) {
        return new Tensor(tensor);
    }

    public static Tensor fromFloats(float[] data, long... shape) {
        checkSize(data.length, shape);
        try (var pointer = new FloatPointer(data)) {
            return torch.from_blob(pointer, shape, new TensorOptions(ScalarType.Float)).clone();
        }
    }

    public static Tensor fromDoubles(double[] data, long... shape) {
        checkSize(data.length, shape);
        try (var pointer = new org.bytedeco.javacpp.DoublePointer(data)) {
            return torch.from_blob(pointer, shape, new TensorOptions(ScalarType.Double)).clone();
        }
    }

    public static double[] toDoubles(Tensor tensor) {
        Tensor cpu = tensor.detach().to(ScalarType.Double).cpu().contiguous();
        double[] out = new double[(int) cpu.numel()];
        if (out.length > 0) {
            new org.bytedeco.javacpp.DoublePointer(cpu.data_ptr()).capacity(out.length).get(out);
        }
        return out;
    }

    public static Tensor fromLongs(long[] data, long... shape) {
        checkSize(data.length, shape);
        try (var pointer = new LongPointer(data)) {
            return torch.from_blob(pointer, shape, new TensorOptions(ScalarType.Long)).clone();
        }
    }

    /** A tensor of the given dtype whose bytes (little-endian, row-major) are {@code raw}. */
    public static Tensor fromBytes(byte[] raw, ScalarType dtype, long... shape) {
        Tensor tensor = torch.zeros(shape, new TensorOptions(dtype));
        if (tensor.nbytes() != raw.length) {
            throw new IllegalArgumentException("expected " + tensor.nbytes() + " bytes for " + dtype + " "
                    + Arrays.toString(shape) + ", got " + raw.length);
        }
        if (raw.length > 0) {
            new BytePointer(tensor.data_ptr()).capacity(raw.length).put(raw, 0, raw.length);
        }
        return tensor;
    }

    public static float[] toFloats(Tensor tensor) {
        Tensor cpu = tensor.detach().to(ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) cpu.numel()];
        if (out.length > 0) {
            new FloatPointer(cpu.data_ptr_float()).capacity(out.length).get(out);
        }
        return out;
    }

    public static long[] toLongs(Tensor tensor) {
        Tensor cpu = tensor.detach().to(ScalarType.Long).cpu().contiguous();
        long[] out = new long[(int) cpu.numel()];
        if (out.length > 0) {
            new LongPointer(cpu.data_ptr()).capacity(out.length).get(out);
        }
        return out;
    }

    /** The tensor's bytes as stored: little-endian, row-major, on the CPU. */
    public static byte[] toBytes(Tensor tensor) {
        Tensor cpu = tensor.detach().cpu().contiguous();
        byte[] out = new byte[Math.toIntExact(cpu.nbytes())];
        if (out.length > 0) {
            new BytePointer(cpu.data_ptr()).capacity(out.length).get(out);
        }
        return out;
    }

    public static long[] shape(Tensor tensor) {
        return tensor.sizes().vec().get();
    }

    private static void checkSize(int length, long[] shape) {
        long count = 1;
        for (long dim : shape) {
            count *= dim;
        }
        if (count != length) {
            throw new IllegalArgumentException(length + " values cannot fill shape " + Arrays.toString(shape));
        }
    }
}
