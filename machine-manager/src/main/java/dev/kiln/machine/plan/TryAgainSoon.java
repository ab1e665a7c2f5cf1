package dev.kiln.machine.plan;

/**
 * A pass met something that passes by itself: another writer changed an object first (a 409 conflict), or the API
 * server asked to slow down (429). Nothing is wrong; the caller visits the studio again after a short, growing delay
 * (requeued, not slept on inside the pass, so one studio's wait holds up no one else).
 */
public final class TryAgainSoon extends RuntimeException {
    public TryAgainSoon(String message, Throwable cause) {
        super(message, cause);
    }
}
