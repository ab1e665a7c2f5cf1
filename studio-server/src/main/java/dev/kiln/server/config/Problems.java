package dev.kiln.server.config;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.URI;

/**
 * RFC 9457 problem details written straight to the response, for refusals that happen in servlet filters (the
 * security chain, the body-size limit), before any controller or {@code @ControllerAdvice} could answer. They are
 * written here rather than with {@code sendError}, whose error dispatch would end at the login page or at an empty
 * 403.
 */
public final class Problems {

    private static final JsonMapper JSON = JsonMapper.shared();

    private Problems() {
    }

    public static ProblemDetail problem(HttpStatus status, String detail, HttpServletRequest request) {
        var problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setInstance(URI.create(request.getRequestURI()));
        return problem;
    }

    public static void write(HttpServletResponse response, ProblemDetail problem) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        response.resetBuffer();
        response.setStatus(problem.getStatus());
        response.setContentType("application/problem+json");
        // Written as a plain map: Spring's own converters flatten ProblemDetail's properties with a mix-in that a
        // plain mapper lacks.
        var body = new java.util.LinkedHashMap<String, Object>();
        body.put("type", problem.getType() == null ? "about:blank" : problem.getType().toString());
        body.put("title", problem.getTitle());
        body.put("status", problem.getStatus());
        body.put("detail", problem.getDetail());
        if (problem.getInstance() != null) {
            body.put("instance", problem.getInstance().toString());
        }
        if (problem.getProperties() != null) {
            problem.getProperties().forEach(body::putIfAbsent);
        }
        // With its length, so a client has the whole answer at once, even while the server still refuses the
        // rest of a request body.
        var bytes = JSON.writeValueAsBytes(body);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
        response.flushBuffer();
    }

    public static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String detail)
            throws IOException {
        write(response, problem(status, detail, request));
    }
}
