package example;

import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.SGD;
import org.bytedeco.pytorch.SGDOptions;
import org.bytedeco.pytorch.Tensor;

import static org.bytedeco.pytorch.global.torch.*;

/**
 * A tiny multi-layer perceptron that learns y = sum(x) on random inputs.
 * Runs on libtorch through org.bytedeco:pytorch.
 */
public class TrainTinyMlp {

    static class Mlp extends Module {
        final LinearImpl hidden = register_module("hidden", new LinearImpl(16, 32));
        final LinearImpl out = register_module("out", new LinearImpl(32, 1));

        Tensor forward(Tensor x) {
            return out.forward(relu(hidden.forward(x)));
        }
    }

    public static void main(String[] args) {
        manual_seed(42);
        var model = new Mlp();
        var optimizer = new SGD(model.parameters(), new SGDOptions(0.01));
        for (int step = 1; step <= 500; step++) {
            try (var scope = new PointerScope()) {
                var x = randn(64, 16);
                var y = x.sum(new long[]{1}, true, new org.bytedeco.pytorch.ScalarTypeOptional());
                optimizer.zero_grad();
                var loss = mse_loss(model.forward(x), y);
                loss.backward();
                optimizer.step();
                if (step % 100 == 0) {
                    System.out.printf("step %d  loss %.4f%n", step, loss.item_float());
                }
            }
        }
    }
}
