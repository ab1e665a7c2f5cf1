package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The checks that hold even when the checks before use are skipped (a name that resolved elsewhere a moment ago, DNS
 * rebinding): the S3 client's resolver and PostgreSQL's sockets refuse an address the policy does not allow, before a
 * byte leaves; redirects are not followed; a key-less client never signs with the server's identity.
 */
class ConnectTimeChecksTest {
    static Map<String, String> s3(String endpoint) {
        return Map.of("bucket", "datasets", "endpoint", endpoint, "pathStyle", "true");
    }

    static final Map<String, String> KEYS = Map.of("accessKeyId", "user-key", "secretAccessKey", "user-secret");

    @Test
    void theS3ClientResolvesThroughThePolicyAndFollowsNoRedirect() throws Exception {
        try (var metadata = StandInEndpoint.metadataService();
             var redirecting = StandInEndpoint.start(exchange -> {
                 exchange.getResponseHeaders().add("Location", metadata.url() + "/latest/meta-data/");
                 exchange.sendResponseHeaders(307, -1);
             })) {
            var nothingAllowed = new EndpointGuard("");
            try (var s3 = new S3Browser(s3(metadata.url()), KEYS, nothingAllowed, new ServerRole(false, ""), "test")) {
                assertThatThrownBy(s3::test).isInstanceOf(DataException.class).hasMessage(EndpointPolicy.UNREACHABLE);
            }
            assertThat(metadata.requests).as("refused before connecting").isEmpty();

            var redirectAllowed = new EndpointGuard("127.0.0.1:" + redirecting.port());
            try (var s3 = new S3Browser(s3(redirecting.url()), KEYS, redirectAllowed, new ServerRole(false, ""),
                    "test")) {
                assertThatThrownBy(s3::test).isInstanceOf(DataException.class)
                        .hasMessageContaining("The endpoint answered HTTP 307");
            }
            assertThat(redirecting.requests).isNotEmpty();
            assertThat(metadata.requests).as("the redirect was not followed").isEmpty();
        }
    }

    @Test
    void aKeylessConnectionNeverSignsWithTheServersIdentity() throws Exception {
        try (var recorder = StandInEndpoint.start(exchange -> exchange.sendResponseHeaders(403, -1))) {
            var guard = new EndpointGuard("127.0.0.1:" + recorder.port());
            assertThatThrownBy(() -> new S3Browser(s3(recorder.url()), Map.of(), guard, new ServerRole(false, ""), "t"))
                    .isInstanceOf(DataException.class).hasMessageStartingWith(ServerRole.REFUSED);
            assertThatThrownBy(() -> new S3Browser(s3(recorder.url()), Map.of(), guard,
                    new ServerRole(true, "other-bucket"), "t")).hasMessageContaining("does not name it");
            assertThat(recorder.requests).isEmpty();
        }
    }

    @Test
    void postgresqlSocketsCheckTheAddressTheyConnectTo() throws Exception {
        try (var listener = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            var accepted = new AtomicInteger();
            Thread.ofVirtual().start(() -> {
                while (!listener.isClosed()) {
                    try (var ignored = listener.accept()) {
                        accepted.incrementAndGet();
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            for (String host : new String[] {"127.0.0.1", "localhost"}) {
                CheckedSocketFactory.lease("t-" + host, EndpointPolicy.of(""));
                var properties = new Properties();
                properties.put("user", "u");
                properties.put("password", "");
                properties.put("socketFactory", CheckedSocketFactory.class.getName());
                properties.put("socketFactoryArg", "t-" + host);
                assertThatThrownBy(() -> new org.postgresql.Driver().connect("jdbc:postgresql://" + host + ":"
                        + listener.getLocalPort() + "/db", properties)).hasRootCauseInstanceOf(
                        EndpointPolicy.Refused.class);
                CheckedSocketFactory.release("t-" + host);
            }
            // Without a token Kiln registered, no socket connects at all.
            var properties = new Properties();
            properties.put("user", "u");
            properties.put("password", "");
            properties.put("socketFactory", CheckedSocketFactory.class.getName());
            properties.put("socketFactoryArg", "never-leased");
            CheckedSocketFactory.lease("ok", EndpointPolicy.of("127.0.0.1:" + listener.getLocalPort()));
            assertThatThrownBy(() -> new org.postgresql.Driver().connect("jdbc:postgresql://127.0.0.1:"
                    + listener.getLocalPort() + "/db", properties)).hasRootCauseInstanceOf(EndpointPolicy.Refused.class);
            assertThat(accepted).as("no connection reached the listener").hasValue(0);

            // Allowed: the socket does connect (the listener hangs up, so the login fails, but it got there).
            properties.put("socketFactoryArg", "ok");
            assertThatThrownBy(() -> new org.postgresql.Driver().connect("jdbc:postgresql://127.0.0.1:"
                    + listener.getLocalPort() + "/db", properties)).isInstanceOf(java.sql.SQLException.class);
            org.awaitility.Awaitility.await().until(() -> accepted.get() > 0);
            CheckedSocketFactory.release("ok");
        }
    }
}
