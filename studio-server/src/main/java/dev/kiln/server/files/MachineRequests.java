package dev.kiln.server.files;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.api.studio.StudioException;
import org.springframework.stereotype.Component;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * File requests to a studio's machine and their answers ({@code fs.listing}, {@code fs.data}, {@code fs.done}),
 * matched by id. An answer counts only from the machine of the studio that asked; a machine that stops fails its
 * studio's open requests at once rather than letting them wait out their time.
 */
@Component
class MachineRequests implements dev.kiln.server.studio.StudioScoped {
    static final Duration ANSWER = Duration.ofSeconds(15);

    private final MachineChannel machines;
    private final Map<String, Waiting> waiting = new ConcurrentHashMap<>();

    private record Waiting(String studioId, CompletableFuture<FromMachine> answer) {}

    MachineRequests(MachineChannel machines) {
        this.machines = machines;
        machines.on(FromMachine.FsListing.class, (studioId, m) -> answered(studioId, m.id(), m));
        machines.on(FromMachine.FsData.class, (studioId, m) -> answered(studioId, m.id(), m));
        machines.on(FromMachine.FsDone.class, (studioId, m) -> answered(studioId, m.id(), m));
        machines.on(FromMachine.MachineLost.class, (studioId, m) -> waiting.values().stream()
                .filter(w -> w.studioId.equals(studioId))
                .forEach(w -> w.answer.completeExceptionally(stopped())));
    }

    @Override
    public java.util.Set<String> liveStudios() {
        return waiting.values().stream().map(Waiting::studioId).collect(java.util.stream.Collectors.toSet());
    }

    @Override
    public void release(String studioId) {
        waiting.values().stream().filter(w -> w.studioId.equals(studioId)).forEach(w -> w.answer
                .completeExceptionally(new StudioException(StudioException.Kind.NOT_FOUND, "The studio was deleted.")));
    }

    boolean online(String studioId) {
        return machines.isReady(studioId);
    }

    MachineChannel channel() {
        return machines;
    }

    static String newId() {
        return UUID.randomUUID().toString();
    }

    /**
     * Registers for the answer to request {@code id}, then sends {@code message}; the future fails at once when the
     * studio has no running machine.
     */
    CompletableFuture<FromMachine> ask(String studioId, String id, ToMachine message) {
        var answer = new CompletableFuture<FromMachine>();
        waiting.put(id, new Waiting(studioId, answer));
        answer.whenComplete((m, e) -> waiting.remove(id));
        if (!machines.send(studioId, message)) {
            answer.completeExceptionally(offline());
        }
        return answer;
    }

    FromMachine.FsListing list(String studioId, String path, boolean recursive, int max) {
        String id = newId();
        var listing = await(ask(studioId, id, new ToMachine.FsList(id, path, recursive, max)), ANSWER,
                FromMachine.FsListing.class);
        if (listing.error() != null) {
            throw refusal(listing.kind(), listing.error());
        }
        return listing;
    }

    FromMachine.FsData read(String studioId, String path, long offset, int length) {
        String id = newId();
        var data = await(ask(studioId, id, new ToMachine.FsRead(id, path, offset, length)), ANSWER,
                FromMachine.FsData.class);
        if (data.error() != null) {
            throw refusal(data.kind(), data.error());
        }
        return data;
    }

    /** Sends a change (delete, rename, mkdir) and waits for its fs.done; a refusal is thrown as the machine said it. */
    void change(String studioId, java.util.function.Function<String, ToMachine> message) {
        String id = newId();
        done(await(ask(studioId, id, message.apply(id)), ANSWER, FromMachine.FsDone.class));
    }

    static FromMachine.FsDone done(FromMachine.FsDone done) {
        if (done.error() != null) {
            throw refusal(done.kind(), done.error());
        }
        return done;
    }

    static <T extends FromMachine> T await(CompletableFuture<FromMachine> answer, Duration within, Class<T> type) {
        try {
            return type.cast(answer.get(within.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException e) {
            answer.cancel(false);
            throw new StudioException(StudioException.Kind.CONFLICT, "The machine did not answer within "
                    + within.toSeconds() + " s. It may be busy; try again.");
        } catch (ExecutionException e) {
            throw e.getCause() instanceof StudioException s ? s : new StudioException(StudioException.Kind.CONFLICT,
                    "The machine could not answer: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StudioException(StudioException.Kind.CONFLICT, "Interrupted while waiting for the machine.");
        }
    }

    /** A refusal the machine sent, as the server's own (its kind names the HTTP status). */
    static StudioException refusal(String kind, String message) {
        StudioException.Kind k;
        try {
            k = kind == null ? StudioException.Kind.INVALID : StudioException.Kind.valueOf(kind);
        } catch (IllegalArgumentException e) {
            k = StudioException.Kind.INVALID;
        }
        return new StudioException(k, message);
    }

    static StudioException offline() {
        return new StudioException(StudioException.Kind.CONFLICT, "The studio's machine is not running: start it to "
                + "reach the files outside the workspace.");
    }

    private static StudioException stopped() {
        return new StudioException(StudioException.Kind.CONFLICT, "The machine stopped before it answered.");
    }

    private void answered(String studioId, String id, FromMachine message) {
        var w = id == null ? null : waiting.get(id);
        if (w != null && w.studioId.equals(studioId)) {
            w.answer.complete(message);
        }
    }
}
