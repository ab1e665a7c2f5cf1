package dev.kiln.training.runtime;

/**
 * libtorch's exceptions carry a C++ backtrace after the first line ("Exception raised from ... frame #0 ...").
 * Users need the first line; the rest stays in the cause.
 */
public final class NativeErrors {
    private NativeErrors() {}

    public static String firstLine(Throwable e) {
        String message = e.getMessage();
        if (message == null) {
            return e.getClass().getSimpleName();
        }
        int cut = message.indexOf("\nException raised from");
        if (cut < 0) {
            cut = message.indexOf('\n');
        }
        return (cut < 0 ? message : message.substring(0, cut)).strip();
    }
}
