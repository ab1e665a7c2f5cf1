package dev.kiln.server.studio;

import dev.kiln.server.config.LogText;
import dev.kiln.server.config.RequestTooLarge;
import dev.kiln.api.studio.StudioException;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import java.util.UUID;

/**
 * Refusals from every REST controller come back as RFC 9457 problem details whose {@code detail} is the message a
 * person should read, and whose {@code kind} a program can switch on. Spring MVC's own refusals (a missing or
 * malformed parameter, a body that is not JSON) are answered here too, as 400s that name the parameter: left to
 * Spring's default resolver they become an error dispatch, which the security chain turned into an empty 403.
 * Anything unexpected is a 500 whose detail gives a reference to find in the server log.
 */
@RestControllerAdvice(basePackages = "dev.kiln.server")
class ApiProblems extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ApiProblems.class);

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

    /** A body cut off by the request-size limit while it was read (a chunked body, whose size nobody declared). */
    @ExceptionHandler(RequestTooLarge.class)
    ProblemDetail tooLarge(RequestTooLarge e) {
        return tooLargeProblem(e);
    }

    /** A client that hung up mid-answer (a git clone cancelled, a closed tab): nobody is left to read a problem. */
    @ExceptionHandler(org.apache.catalina.connector.ClientAbortException.class)
    void aborted(org.apache.catalina.connector.ClientAbortException e) {
        log.debug("The client went away before the answer was complete", e);
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e) {
        var reference = UUID.randomUUID().toString().substring(0, 8);
        log.error("Unexpected failure answering an API request (reference {})", reference, e);
        var problem = ProblemDetail.forStatusAndDetail(HttpStatus.INTERNAL_SERVER_ERROR,
                "Something went wrong on the server. The server log has the details (reference " + reference + ").");
        problem.setProperty("reference", reference);
        return problem;
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleMissingServletRequestParameter(MissingServletRequestParameterException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return answer(e, headers, HttpStatus.BAD_REQUEST,
                "This request needs the query parameter '" + e.getParameterName() + "'.", request);
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleTypeMismatch(TypeMismatchException e, HttpHeaders headers,
            HttpStatusCode status, WebRequest request) {
        var name = e instanceof MethodArgumentTypeMismatchException m ? m.getName() : e.getPropertyName();
        var type = e.getRequiredType() == null ? "another type" : switch (e.getRequiredType().getSimpleName()) {
            case "int", "Integer", "long", "Long" -> "a whole number";
            case "boolean", "Boolean" -> "true or false";
            default -> "a " + e.getRequiredType().getSimpleName();
        };
        return answer(e, headers, HttpStatus.BAD_REQUEST, "The parameter '" + name + "' must be " + type + ".", request);
    }

    @Override
    protected @Nullable ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException e,
            HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof RequestTooLarge tooLarge) {
                return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).headers(headers).body(tooLargeProblem(tooLarge));
            }
        }
        return answer(e, headers, HttpStatus.BAD_REQUEST, unreadable(e), request);
    }

    /**
     * What is wrong with a body, in words for the person who wrote it: where the JSON breaks, or which field has
     * the wrong type; never Jackson's own message, which names Kiln's Java classes.
     */
    static String unreadable(HttpMessageNotReadableException e) {
        if (e.getCause() instanceof tools.jackson.core.exc.StreamReadException json && json.getLocation() != null
                && json.getLocation().getLineNr() > 0) {
            return "The request body is not valid JSON (line " + json.getLocation().getLineNr() + ", column "
                    + json.getLocation().getColumnNr() + ").";
        }
        if (e.getCause() instanceof tools.jackson.core.JacksonException json) {
            var field = new StringBuilder();
            for (var reference : json.getPath()) {
                if (reference.getPropertyName() != null) {
                    field.append(field.isEmpty() ? "" : ".").append(reference.getPropertyName());
                } else if (reference.getIndex() >= 0) {
                    field.append('[').append(reference.getIndex()).append(']');
                }
            }
            return field.isEmpty() ? "The request body is not the JSON object this route expects."
                    : "The field '" + LogText.clean(field) + "' of the request body is missing or has the wrong type.";
        }
        if (e.getMessage() != null && e.getMessage().startsWith("Required request body is missing")) {
            return "This request needs a JSON body.";
        }
        return "The request body is not the JSON this route expects.";
    }

    private ResponseEntity<Object> answer(Exception e, HttpHeaders headers, HttpStatus status, String detail,
                                          WebRequest request) {
        var problem = ProblemDetail.forStatusAndDetail(status, detail);
        return handleExceptionInternal(e, problem, headers, status, request);
    }

    private static ProblemDetail tooLargeProblem(RequestTooLarge e) {
        var problem = ProblemDetail.forStatusAndDetail(HttpStatus.CONTENT_TOO_LARGE, e.getMessage());
        problem.setProperty("limitBytes", e.limitBytes());
        return problem;
    }
}
