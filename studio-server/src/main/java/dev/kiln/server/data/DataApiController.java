package dev.kiln.server.data;

import dev.kiln.api.data.StudioData;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;
import java.util.Map;

/**
 * {@code /api/studios/{id}/connections}: a studio's data connections (S3, Snowflake, PostgreSQL). Secrets go in,
 * never out. Browsing, previews and SQL run on the server with the stored credentials.
 */
@RestController
@RequestMapping("/api/studios/{id}/connections")
class DataApiController {
    private final DataConnections connections;

    DataApiController(DataConnections connections) {
        this.connections = connections;
    }

    @GetMapping
    List<StudioData.Connection> list(@PathVariable String id) {
        return connections.connections(id);
    }

    @PostMapping
    @ResponseStatus(HttpStatus.CREATED)
    StudioData.Connection create(@PathVariable String id, @RequestBody StudioData.NewConnection request) {
        return connections.create(id, request);
    }

    /** {@code {"forJobs": true}}: whether the studio's jobs receive this connection (the owner only). */
    @org.springframework.web.bind.annotation.PutMapping("/{connection}/jobs")
    StudioData.Connection shareWithJobs(@PathVariable String id, @PathVariable String connection,
                                        @RequestBody Map<String, Boolean> request) {
        return connections.shareWithJobs(id, connection, Boolean.TRUE.equals(request.get("forJobs")));
    }

    /** Fix the endpoint, rename, rotate the secret (an empty secret keeps the stored one). */
    @org.springframework.web.bind.annotation.PutMapping("/{connection}")
    StudioData.Connection update(@PathVariable String id, @PathVariable String connection,
                                 @RequestBody StudioData.NewConnection request) {
        return connections.update(id, connection, request);
    }

    @DeleteMapping("/{connection}")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@PathVariable String id, @PathVariable String connection) {
        connections.delete(id, connection);
    }

    @PostMapping("/{connection}/test")
    Map<String, String> test(@PathVariable String id, @PathVariable String connection) {
        return Map.of("verdict", connections.test(id, connection));
    }

    @GetMapping("/{connection}/objects")
    StudioData.Page objects(@PathVariable String id, @PathVariable String connection,
                           @RequestParam(defaultValue = "") String prefix,
                           @RequestParam(required = false) String token,
                           @RequestParam(defaultValue = "100") int max) {
        return connections.list(id, connection, prefix, token, max);
    }

    @GetMapping("/{connection}/preview")
    StudioData.Preview preview(@PathVariable String id, @PathVariable String connection, @RequestParam String key) {
        return connections.preview(id, connection, key);
    }

    @PostMapping("/{connection}/download")
    StudioData.Transfer download(@PathVariable String id, @PathVariable String connection,
                                 @RequestBody Map<String, String> request) {
        return connections.download(id, connection, request.get("key"));
    }

    @org.springframework.web.bind.annotation.PutMapping("/{connection}/objects")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void upload(@PathVariable String id, @PathVariable String connection, @RequestParam String key,
                jakarta.servlet.http.HttpServletRequest request) throws java.io.IOException {
        if (request.getContentLengthLong() < 0) {
            throw new dev.kiln.api.studio.StudioException(dev.kiln.api.studio.StudioException.Kind.INVALID,
                    "Send the upload with a Content-Length.");
        }
        connections.upload(id, connection, key, request.getInputStream(), request.getContentLengthLong());
    }

    @PostMapping("/{connection}/queries")
    @ResponseStatus(HttpStatus.CREATED)
    StudioData.QueryResult query(@PathVariable String id, @PathVariable String connection,
                            @RequestBody Map<String, String> request) {
        return connections.runQuery(id, connection, request.get("sql"), request.get("editor"));
    }

    @GetMapping("/queries/{query}")
    StudioData.QueryResult queryState(@PathVariable String id, @PathVariable String query,
                                 @RequestParam(defaultValue = "false") boolean next,
                                 @RequestParam(defaultValue = "false") boolean previous) {
        return previous ? connections.previousPage(id, query) : connections.query(id, query, next);
    }

    @PostMapping("/queries/{query}/cancel")
    StudioData.QueryResult cancel(@PathVariable String id, @PathVariable String query) {
        return connections.cancelQuery(id, query);
    }

    @PostMapping("/queries/{query}/export")
    StudioData.Transfer export(@PathVariable String id, @PathVariable String query,
                               @RequestBody Map<String, String> request) {
        // {"fileName": "train.parquet"} onto the machine, or {"connection": id, "key": "exports/train.parquet"} to S3.
        if (request.get("connection") != null) {
            return connections.exportQueryToS3(id, query, request.get("connection"), request.get("key"));
        }
        return connections.exportQuery(id, query, request.get("fileName"));
    }

    /** The store's answer, in a sentence: wrong credentials, no such bucket, unreachable. */
    @ExceptionHandler(DataException.class)
    ProblemDetail dataProblem(DataException e) {
        var problem = ProblemDetail.forStatusAndDetail(HttpStatus.UNPROCESSABLE_CONTENT, e.getMessage());
        problem.setTitle("The data store refused");
        return problem;
    }

    /** Over the SQL limits ({@code kiln.data.sql.max-per-studio}, {@code max-total}). */
    @ExceptionHandler(QuerySlots.TooMany.class)
    ProblemDetail tooMany(QuerySlots.TooMany e) {
        var problem = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, e.getMessage());
        problem.setTitle("Too many queries running");
        return problem;
    }

    @ExceptionHandler(SecretBox.SecretException.class)
    ProblemDetail secretProblem(SecretBox.SecretException e) {
        var problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, e.getMessage());
        problem.setTitle("Stored credentials unreadable");
        return problem;
    }
}
