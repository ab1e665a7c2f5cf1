package dev.kiln.server.studio;

import dev.kiln.ui.studio.StudioException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Refusals from every REST controller come back as RFC 9457 problem details whose {@code detail} is the message a
 * person should read, and whose {@code kind} a program can switch on.
 */
@RestControllerAdvice(basePackages = "dev.kiln.server")
class ApiProblems {

    @ExceptionHandler(StudioException.class)
    ProblemDetail refused(StudioException e) {
        var status = switch (e.kind()) {
            case NOT_FOUND -> HttpStatus.NOT_FOUND;
            case INVALID -> HttpStatus.BAD_REQUEST;
            case CONFLICT -> HttpStatus.CONFLICT;
            case TOO_LARGE -> HttpStatus.CONTENT_TOO_LARGE;
            case FORBIDDEN -> HttpStatus.FORBIDDEN;
        };
        var problem = ProblemDetail.forStatusAndDetail(status, e.getMessage());
        problem.setProperty("kind", e.kind().name());
        return problem;
    }
}
