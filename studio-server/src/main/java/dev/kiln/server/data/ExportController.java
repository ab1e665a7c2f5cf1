package dev.kiln.server.data;

import jakarta.servlet.http.HttpServletResponse;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;

/**
 * {@code /exports/{token}}: where a machine fetches a query export, once, with the unguessable token the server gave
 * it (no session: machines have none). An unknown, used or expired token gets 404.
 */
@RestController
class ExportController {
    private final DataConnections connections;

    ExportController(DataConnections connections) {
        this.connections = connections;
    }

    @GetMapping("/exports/{token}")
    void export(@PathVariable String token, HttpServletResponse response) throws IOException {
        response.setContentType("application/octet-stream"); // CSV or Parquet, as the export's file name says
        var buffered = new java.io.BufferedOutputStream(response.getOutputStream(), 64 * 1024);
        if (!connections.streamExport(token, buffered)) {
            response.reset();
            response.setStatus(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        buffered.flush();
    }
}
