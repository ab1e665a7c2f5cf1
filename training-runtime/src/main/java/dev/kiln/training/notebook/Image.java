package dev.kiln.training.notebook;

import dev.kiln.training.runtime.Tensors;
import org.bytedeco.pytorch.Tensor;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import javax.imageio.ImageIO;

/** A PNG made from a tensor: [H, W], [C, H, W] or [H, W, C] with 1, 3 or 4 channels; values scaled from their range. */
public final class Image implements Displayable {
    private final byte[] png;
    private final int width;
    private final int height;
    /** Shown by {@link Notebook#image} when made: as a cell's last value it is not shown again. */
    boolean shown;

    private Image(byte[] png, int width, int height) {
        this.png = png;
        this.width = width;
        this.height = height;
    }

    static Image of(Tensor tensor) {
        long[] shape = Tensors.shape(tensor);
        int channels;
        int h;
        int w;
        boolean channelsFirst;
        if (shape.length == 2) {
            channels = 1;
            h = (int) shape[0];
            w = (int) shape[1];
            channelsFirst = true;
        } else if (shape.length == 3 && (shape[0] == 1 || shape[0] == 3 || shape[0] == 4)) {
            channels = (int) shape[0];
            h = (int) shape[1];
            w = (int) shape[2];
            channelsFirst = true;
        } else if (shape.length == 3 && (shape[2] == 1 || shape[2] == 3 || shape[2] == 4)) {
            channels = (int) shape[2];
            h = (int) shape[0];
            w = (int) shape[1];
            channelsFirst = false;
        } else {
            throw new IllegalArgumentException("An image tensor is [H, W], [C, H, W] or [H, W, C] with 1, 3 or 4 "
                    + "channels; this one is " + java.util.Arrays.toString(shape));
        }
        double[] values = Tensors.toDoubles(tensor);
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        // 0..1 and 0..255 are kept as they are; anything else is stretched to fit.
        double lo = min >= 0 && max <= 1 ? 0 : min >= 0 && max <= 255 ? 0 : min;
        double hi = min >= 0 && max <= 1 ? 1 : min >= 0 && max <= 255 ? 255 : max;
        double range = hi - lo == 0 ? 1 : hi - lo;
        var image = new BufferedImage(w, h, channels == 4 ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int[] c = new int[4];
                c[3] = 255;
                for (int k = 0; k < channels; k++) {
                    int index = channelsFirst ? (k * h + y) * w + x : (y * w + x) * channels + k;
                    double v = values[index];
                    c[k] = (int) Math.round(255 * Math.max(0, Math.min(1, (Double.isFinite(v) ? v - lo : 0) / range)));
                }
                if (channels == 1) {
                    c[1] = c[0];
                    c[2] = c[0];
                }
                image.setRGB(x, y, (c[3] << 24) | (c[0] << 16) | (c[1] << 8) | c[2]);
            }
        }
        var out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Image(out.toByteArray(), w, h);
    }

    public byte[] png() {
        return png.clone();
    }

    @Override
    public String toString() {
        return "[image " + width + "x" + height + "]";
    }

    @Override
    public Map<String, Object> mimeBundle() {
        var bundle = new LinkedHashMap<String, Object>();
        bundle.put("image/png", Base64.getEncoder().encodeToString(png));
        bundle.put("text/plain", "[image " + width + "x" + height + "]");
        return bundle;
    }
}
