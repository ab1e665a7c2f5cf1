package dev.kiln.server.files;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * {@code /agent-files/<token>}: where a machine fetches an upload ({@code GET}) or sends a file ({@code PUT}) for
 * a transfer the server asked it for. No session (machines have none): the one-time token is the credential, and
 * an unknown, used or expired one gets 404. The request-size limit does not apply to the {@code PUT}: its reader on
 * the server bounds what it takes.
 */
@RestController
class AgentFilesController {
    /** Longest one transfer may take: a 50 GB checkpoint at 20 MB/s is 40 minutes. */
    static final long TRANSFER_HOURS = 12;

    private final FilePipes pipes;

    AgentFilesController(FilePipes pipes) {
        this.pipes = pipes;
    }

    @GetMapping("/agent-files/{token}")
    void fetch(@PathVariable String token, HttpServletResponse response) throws IOException {
        var pipe = pipes.claim(token, FilePipes.Outgoing.class);
        if (pipe == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        response.setContentType("application/octet-stream");
        response.setContentLengthLong(pipe.size);
        pipe.taken.complete(response.getOutputStream());
        try {
            pipe.finished.get(TRANSFER_HOURS, TimeUnit.HOURS);
            response.flushBuffer();
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            // The browser went away mid-upload: end this response short of its length, so the machine sees a cut
            // and keeps nothing of it.
            throw new IOException("the upload ended early", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    @PutMapping("/agent-files/{token}")
    void deliver(@PathVariable String token, HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        var pipe = pipes.claim(token, FilePipes.Incoming.class);
        if (pipe == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        long size = -1;
        try {
            String header = request.getHeader("X-Kiln-Size");
            size = header == null ? -1 : Long.parseLong(header);
        } catch (NumberFormatException e) {
            // unknown size
        }
        pipe.arrived.complete(new FilePipes.Delivery(request.getInputStream(), size, request.getHeader("X-Kiln-Format")));
        try {
            pipe.consumed.get(TRANSFER_HOURS, TimeUnit.HOURS);
            response.setStatus(HttpServletResponse.SC_NO_CONTENT);
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            response.setStatus(HttpServletResponse.SC_GONE); // the browser went away; the machine stops sending
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.setStatus(HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        }
    }
}
