package dev.kiln.server.config;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Refuses request bodies over {@code kiln.max-request-size} before anything parses them: a declared
 * {@code Content-Length} over the limit gets 413 problem details without a byte of the body being read, and a body
 * of undeclared size (chunked) is read through a stream that fails at the limit ({@link RequestTooLarge}), so
 * Jackson, Vaadin or git stop there instead of holding the whole body in memory. Without this a 60 MB JSON body was
 * read and parsed in full before the file-size check refused it.
 * <p>
 * Uploads that stream straight through to their destination ({@code PUT .../connections/{conn}/objects}, an object
 * copied to S3 with 8 MB of memory whatever its size; {@code PUT .../fs/upload}, a file piped into the studio's
 * machine; {@code PUT /agent-files/<token>}, a machine's file piped to a browser) are not limited here: their size is
 * the point, and each has its own limit.
 */
final class RequestBodyLimit extends OncePerRequestFilter {

    private static final List<PathPattern> STREAMED_UPLOADS = List.of(
            PathPatternParser.defaultInstance.parse("/api/studios/*/connections/*/objects"),
            // Files into the studio's machine (kiln.files.max-upload-size, checked by their route before reading),
            // and a machine's side of a download, whose reader on the server takes only what it asked for.
            PathPatternParser.defaultInstance.parse("/api/studios/*/fs/upload"),
            PathPatternParser.defaultInstance.parse("/agent-files/*"));

    private final long limitBytes;

    RequestBodyLimit(long limitBytes) {
        this.limitBytes = limitBytes;
    }

    long limitBytes() {
        return limitBytes;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (isStreamedUpload(request)) {
            chain.doFilter(request, response);
            return;
        }
        if (request.getContentLengthLong() > limitBytes) {
            // The body stays unread; closing the connection spares the server from swallowing it.
            response.setHeader("Connection", "close");
            Problems.write(request, response, HttpStatus.CONTENT_TOO_LARGE, RequestTooLarge.message(limitBytes));
            return;
        }
        var capped = new Capped(request, limitBytes);
        try {
            chain.doFilter(capped, response);
        } catch (IOException | ServletException | RuntimeException e) {
            // Whoever read the body (git, Vaadin) let the refusal escape: answer it here if nobody has answered yet.
            if (capped.exceeded && !response.isCommitted()) {
                response.setHeader("Connection", "close");
                Problems.write(request, response, HttpStatus.CONTENT_TOO_LARGE, RequestTooLarge.message(limitBytes));
                return;
            }
            throw e;
        }
    }

    private static boolean isStreamedUpload(HttpServletRequest request) {
        if (!"PUT".equals(request.getMethod())) {
            return false;
        }
        var path = PathContainer.parsePath(request.getRequestURI().substring(request.getContextPath().length()));
        return STREAMED_UPLOADS.stream().anyMatch(p -> p.matches(path));
    }

    /** The request with its body read through a counting stream that fails once past the limit. */
    private static final class Capped extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;
        private BufferedReader reader;
        volatile boolean exceeded;

        Capped(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new CountingStream(super.getInputStream());
            }
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            if (reader == null) {
                var encoding = getCharacterEncoding();
                Charset charset = encoding == null ? StandardCharsets.ISO_8859_1 : Charset.forName(encoding);
                reader = new BufferedReader(new InputStreamReader(getInputStream(), charset));
            }
            return reader;
        }

        private final class CountingStream extends ServletInputStream {
            private final ServletInputStream in;
            private long count;

            CountingStream(ServletInputStream in) {
                this.in = in;
            }

            @Override
            public int read() throws IOException {
                int b = in.read();
                if (b >= 0) {
                    counted(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                int n = in.read(buffer, offset, length);
                if (n > 0) {
                    counted(n);
                }
                return n;
            }

            private void counted(int n) throws RequestTooLarge {
                count += n;
                if (count > limit) {
                    exceeded = true;
                    throw new RequestTooLarge(limit);
                }
            }

            @Override
            public boolean isFinished() {
                return in.isFinished();
            }

            @Override
            public boolean isReady() {
                return in.isReady();
            }

            @Override
            public void setReadListener(ReadListener listener) {
                in.setReadListener(listener);
            }
        }
    }
}
