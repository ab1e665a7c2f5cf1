package dev.kiln.machine.kubernetes;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

import io.fabric8.kubernetes.client.KubernetesClientException;

/**
 * Retries a whole backend step that failed for a passing reason: a conflict (409: someone else wrote the object
 * first; the step re-reads) or throttling (429). Server errors (5xx) and dropped connections are already retried
 * per request by the fabric8 client with exponential backoff ({@code requestRetryBackoffLimit} and
 * {@code requestRetryBackoffInterval} in its configuration). Exponential backoff with jitter, a few attempts, then
 * the error goes up and the reconciler's next pass tries again. Every step the backend takes is safe to repeat,
 * which is what makes retrying safe.
 */
final class ApiRetry {
    static final int ATTEMPTS = 5;
    private static final long FIRST_DELAY_MS = 50;

    private ApiRetry() {}

    static <T> T call(String what, Supplier<T> action) {
        KubernetesClientException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                return action.get();
            } catch (KubernetesClientException e) {
                if (!passing(e.getCode())) {
                    throw e;
                }
                last = e;
                long delay = FIRST_DELAY_MS << (attempt - 1);
                try {
                    Thread.sleep(delay + ThreadLocalRandom.current().nextLong(delay));
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new KubernetesClientException("The cluster's API kept failing while trying to " + what + " ("
                + ATTEMPTS + " attempts): " + last.getMessage(), last);
    }

    static void run(String what, Runnable action) {
        call(what, () -> {
            action.run();
            return null;
        });
    }

    static boolean passing(int code) {
        return code == 409 || code == 429;
    }
}
