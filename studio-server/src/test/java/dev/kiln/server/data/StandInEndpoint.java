package dev.kiln.server.data;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP server on 127.0.0.1 standing in for whatever a test needs (a cloud metadata service, an S3 endpoint
 * that ignores Range, one that redirects), recording every request it receives with its Authorization header and
 * counting the bytes it managed to send.
 */
final class StandInEndpoint implements AutoCloseable {
    record Request(String method, String path, String authorization) {}

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    final AtomicLong bytesSent = new AtomicLong();
    private final HttpServer server;

    private StandInEndpoint(Handler handler) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/", exchange -> {
            requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    exchange.getRequestHeaders().getFirst("Authorization")));
            try {
                handler.handle(exchange);
            } catch (IOException e) {
                // the client hung up: what a bounded reader does
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    static StandInEndpoint start(Handler handler) throws IOException {
        return new StandInEndpoint(handler);
    }

    /** A metadata service: answers everything with the "credentials" it would hand out. */
    static StandInEndpoint metadataService() throws IOException {
        return start(exchange -> {
            byte[] body = "{\"AccessKeyId\":\"ASIA-SERVER-ROLE\",\"SecretAccessKey\":\"internal-secret\"}".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
        });
    }

    int port() {
        return server.getAddress().getPort();
    }

    String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Writes {@code total} bytes of body in 64 KB writes, counting what got out before the client left. */
    void send(HttpExchange exchange, long total) throws IOException {
        byte[] block = new byte[64 * 1024];
        java.util.Arrays.fill(block, (byte) 'a');
        for (int i = 0; i < block.length; i += 64) {
            block[i] = '\n';
        }
        OutputStream out = exchange.getResponseBody();
        for (long sent = 0; sent < total; sent += block.length) {
            int n = (int) Math.min(block.length, total - sent);
            out.write(block, 0, n);
            bytesSent.addAndGet(n);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
