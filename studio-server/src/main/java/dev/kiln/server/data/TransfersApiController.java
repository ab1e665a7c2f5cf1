package dev.kiln.server.data;

import dev.kiln.api.data.StudioData;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** {@code /api/studios/{id}/transfers}: downloads to the studio's machine, with their progress. */
@RestController
class TransfersApiController {
    private final DataConnections connections;

    TransfersApiController(DataConnections connections) {
        this.connections = connections;
    }

    @GetMapping("/api/studios/{id}/transfers")
    List<StudioData.Transfer> transfers(@PathVariable String id) {
        return connections.transfers(id);
    }
}
