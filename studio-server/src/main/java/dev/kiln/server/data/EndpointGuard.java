package dev.kiln.server.data;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;

/**
 * The server's {@link EndpointPolicy} at work: checks a connection's host when it is added and before every use, and
 * gives the HTTP and JDBC clients resolvers that check again at connect time, against the addresses they really
 * connect to (so a name that resolves somewhere else later, DNS rebinding, gains nothing). Users read
 * {@link EndpointPolicy#UNREACHABLE}; the reason goes to this server's log.
 */
@Component
class EndpointGuard {
    private static final Logger log = LoggerFactory.getLogger(EndpointGuard.class);

    private final EndpointPolicy policy;

    EndpointGuard(@Value("${kiln.data.allowed-endpoints:}") String allowed) {
        this.policy = EndpointPolicy.of(allowed);
        if (policy.allowsNonPublic()) {
            log.info("Data connections may reach these internal endpoints: {}", dev.kiln.server.config.LogText.clean(allowed));
        }
    }

    EndpointPolicy policy() {
        return policy;
    }

    /** A host and port a connection talks to. */
    record Target(String host, int port) {
        @Override
        public String toString() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Before a connection is saved: refused when its host resolves to somewhere Kiln must not go. A name that does
     * not resolve (yet, or from here) passes: every use checks again.
     */
    void checkOnAdd(String what, Target target) {
        try {
            policy.resolve(target.host(), target.port());
        } catch (EndpointPolicy.Refused e) {
            throw refused(what, target, e);
        } catch (UnknownHostException e) {
            log.info("{}: {} does not resolve from this server yet; it is checked again on every use",
                    dev.kiln.server.config.LogText.clean(what), dev.kiln.server.config.LogText.clean(target.toString()));
        }
    }

    /** Before a connection is used: resolvable and allowed, or a {@link DataException} saying it cannot be reached. */
    void require(String what, Target target) {
        try {
            policy.resolve(target.host(), target.port());
        } catch (UnknownHostException e) {
            throw refused(what, target, e);
        }
    }

    /** Logs why (with whatever the failure said) and returns the one sentence users get. */
    DataException refused(String what, Target target, Throwable why) {
        log.info("{}: cannot reach {}: {}", dev.kiln.server.config.LogText.clean(what), dev.kiln.server.config.LogText.clean(String.valueOf(target)),
                dev.kiln.server.config.LogText.clean(describe(why)));
        return new DataException(EndpointPolicy.UNREACHABLE);
    }

    /** Logs a failure of a connection to an endpoint it was allowed to try, and returns the same sentence. */
    DataException unreachable(String what, Throwable why) {
        log.info("{}: cannot reach the endpoint: {}", dev.kiln.server.config.LogText.clean(what), dev.kiln.server.config.LogText.clean(describe(why)));
        return new DataException(EndpointPolicy.UNREACHABLE);
    }

    private static String describe(Throwable why) {
        var text = new StringBuilder();
        for (Throwable t = why; t != null && text.length() < 1_000; t = t.getCause()) {
            text.append(text.isEmpty() ? "" : "; caused by ").append(t.getClass().getSimpleName()).append(": ")
                    .append(t.getMessage());
        }
        return text.toString();
    }

    /** The resolver for an HTTP client that talks to {@code port} only (an S3 connection's endpoint). */
    org.apache.http.conn.DnsResolver dnsResolver(int port) {
        return host -> policy.resolve(host, port);
    }

    /**
     * Where an S3 connection's requests go: its endpoint ({@code http(s)://host[:port]}, nothing else), or AWS's
     * regional endpoint when none is set.
     */
    static Target s3(Map<String, String> settings) {
        String endpoint = settings.getOrDefault("endpoint", "");
        if (endpoint == null || endpoint.isBlank()) {
            return new Target("s3." + region(settings) + ".amazonaws.com", 443);
        }
        URI uri = s3Endpoint(endpoint);
        return new Target(uri.getHost(), uri.getPort() > 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80);
    }

    /** The region as the SDK needs it; us-east-1 when none is given, as S3-compatible stores accept. */
    static String region(Map<String, String> settings) {
        String region = settings.getOrDefault("region", "");
        region = region == null || region.isBlank() ? "us-east-1" : region.strip();
        if (!region.matches("[a-z0-9-]{2,32}")) {
            throw new DataException("Give the region as AWS names it, such as eu-west-1.");
        }
        return region;
    }

    static URI s3Endpoint(String endpoint) {
        URI uri;
        try {
            uri = new URI(endpoint.strip());
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getScheme() == null || !uri.getScheme().matches("https?") || uri.getHost() == null
                || uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || !(uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))) {
            throw new DataException("Give the endpoint as http(s)://host[:port] and nothing more, such as "
                    + "https://minio.example.com:9000.");
        }
        return uri;
    }
}
