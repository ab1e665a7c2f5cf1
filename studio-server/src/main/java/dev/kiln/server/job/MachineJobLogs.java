package dev.kiln.server.job;

import dev.kiln.machine.protocol.FromMachine;
import dev.kiln.machine.protocol.ToMachine;
import dev.kiln.server.machine.MachineChannel;
import org.springframework.stereotype.Component;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A job's complete output read from its machine ({@code ~/jobs/<job>/output.log}) when the server's copy is partial:
 * the server asks with {@code job.log} and the machine answers in {@code job.log.part}s, which reach the transfer
 * that asked (parts from another studio's machine are ignored).
 */
@Component
class MachineJobLogs {
    private final MachineChannel machines;
    private final Map<String, Transfer> open = new ConcurrentHashMap<>();

    MachineJobLogs(MachineChannel machines) {
        this.machines = machines;
        machines.on(FromMachine.JobLogPart.class, (studioId, part) -> {
            Transfer transfer = part.requestId() == null ? null : open.get(part.requestId());
            if (transfer != null && transfer.studioId.equals(studioId)) {
                transfer.parts.offer(part);
            }
        });
    }

    /** Asks the studio's machine for the job's output; null when no machine is connected to ask. */
    Transfer open(String studioId, String jobId) {
        var transfer = new Transfer(UUID.randomUUID().toString(), studioId);
        open.put(transfer.id, transfer);
        if (!machines.send(studioId, new ToMachine.JobLog(transfer.id, jobId))) {
            open.remove(transfer.id);
            return null;
        }
        return transfer;
    }

    /** One download in progress: its parts in order, each waited for at most {@code timeout} seconds. */
    final class Transfer implements AutoCloseable {
        final String id;
        final String studioId;
        final BlockingQueue<FromMachine.JobLogPart> parts = new LinkedBlockingQueue<>();

        Transfer(String id, String studioId) {
            this.id = id;
            this.studioId = studioId;
        }

        /** The next part, or null when none came within the time. */
        FromMachine.JobLogPart next(long timeoutSeconds) throws InterruptedException {
            return parts.poll(timeoutSeconds, TimeUnit.SECONDS);
        }

        @Override
        public void close() {
            open.remove(id);
        }
    }
}
