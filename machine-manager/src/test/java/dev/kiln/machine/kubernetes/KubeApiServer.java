package dev.kiln.machine.kubernetes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.Assumptions;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/**
 * A real Kubernetes control plane on loopback for the tests: etcd, kube-apiserver and kube-controller-manager
 * v1.20.2 (Debian's builds, made once by {@code .ci/kube-apiserver.sh}), each its own process, with its data and logs
 * under {@code target/kube-api-server/}. Nothing plays kubelet or scheduler: {@link StandInKubelet} does that.
 *
 * <p>Two identities, from a static token file: an admin ({@code system:masters}, for the test's own kubelet and
 * setup) and Kiln's server as the {@code kiln} ServiceAccount would be seen, so the backend runs with exactly the
 * permissions that {@code k8s/rbac.yaml} grants (the test applies it).
 *
 * <p>Without the binaries the tests are skipped with the reason, except under {@code CI=true} where they fail (CI
 * builds them).
 */
public final class KubeApiServer implements AutoCloseable {
    public static final String VERSION = "1.20.2";
    public static final String NAMESPACE = "kiln";
    /** Kiln's server as the API server sees the pod's ServiceAccount token (RBAC matches on this name). */
    static final String SERVER_USER = "system:serviceaccount:" + NAMESPACE + ":kiln";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);

    private final Path dir;
    private final List<Process> processes = new ArrayList<>();
    private final String adminToken = token();
    private final String serverToken = token();
    private int apiPort;

    private KubeApiServer(Path dir) {
        this.dir = dir;
    }

    /** The directory with kube-apiserver, kube-controller-manager and etcd, or a skip (a failure under CI). */
    static Path binaries() {
        String reason = missing();
        if (reason != null) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(reason);
            }
            Assumptions.abort(reason);
        }
        return directory();
    }

    /** Why the binaries cannot be used here, or null when they can. */
    static String missing() {
        Path bin = directory();
        for (String name : List.of("kube-apiserver", "kube-controller-manager", "etcd")) {
            if (!Files.isExecutable(bin.resolve(name))) {
                return "No " + name + " in " + bin + ": .ci/kube-apiserver.sh builds Kubernetes " + VERSION
                        + " there once (about 5 minutes; ./kiln test runs it when it may use apt-get)";
            }
        }
        return null;
    }

    private static Path directory() {
        String explicit = System.getenv("KILN_KUBE_BINARIES");
        Path cache = Path.of(System.getenv().getOrDefault("KILN_CACHE_DIR",
                System.getProperty("user.home") + "/.cache/kiln"));
        return explicit != null ? Path.of(explicit) : cache.resolve("kubernetes-" + VERSION);
    }

    public static KubeApiServer start() {
        Path bin = binaries();
        try {
            Path base = Files.createDirectories(Path.of("target", "kube-api-server").toAbsolutePath());
            var server = new KubeApiServer(Files.createTempDirectory(base, "run-"));
            try {
                server.startAll(bin);
                return server;
            } catch (RuntimeException | IOException e) {
                server.close();
                throw e;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void startAll(Path bin) throws IOException {
        Instant started = Instant.now();
        int etcdPort = freePort();
        int peerPort = freePort();
        String etcd = "http://127.0.0.1:" + etcdPort;
        launch("etcd", List.of(bin.resolve("etcd").toString(), "--name=kiln-test", "--data-dir=" + dir.resolve("etcd"),
                "--listen-client-urls=" + etcd, "--advertise-client-urls=" + etcd,
                "--listen-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-advertise-peer-urls=http://127.0.0.1:" + peerPort,
                "--initial-cluster=kiln-test=http://127.0.0.1:" + peerPort, "--log-level=warn"));
        await("etcd to answer on " + etcd, "etcd", () -> get(etcd + "/health", null).contains("true"));

        Path key = dir.resolve("service-account.key");
        writeServiceAccountKey(key);
        // token,user,uid,"groups": the test's admin, and the server as its ServiceAccount would authenticate.
        Path tokens = dir.resolve("tokens.csv");
        Files.writeString(tokens, adminToken + ",kiln-test-admin,1,\"system:masters\"\n"
                + serverToken + "," + SERVER_USER + ",2,\"system:serviceaccounts,system:serviceaccounts:" + NAMESPACE
                + "\"\n");
        apiPort = freePort();
        launch("kube-apiserver", List.of(bin.resolve("kube-apiserver").toString(),
                "--etcd-servers=" + etcd, "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1",
                "--secure-port=" + apiPort, "--insecure-port=0", "--cert-dir=" + dir.resolve("certs"),
                "--service-cluster-ip-range=10.0.0.0/24", "--endpoint-reconciler-type=none",
                "--service-account-issuer=https://kubernetes.default.svc",
                "--service-account-key-file=" + key, "--service-account-signing-key-file=" + key,
                "--token-auth-file=" + tokens, "--authorization-mode=RBAC", "--profiling=false"));
        await("kube-apiserver to be ready on " + url(), "kube-apiserver",
                () -> "ok".equals(get(url() + "/readyz", adminToken)));

        Path kubeconfig = dir.resolve("controller-manager.kubeconfig");
        Files.writeString(kubeconfig, kubeconfig(adminToken));
        // No kubelet sends heartbeats, so the node lifecycle controller would find the stand-in's nodes dead and
        // taint them; everything else runs, among it the garbage collector, the ServiceAccount and PVC-protection
        // controllers and the Job controller.
        launch("kube-controller-manager", List.of(bin.resolve("kube-controller-manager").toString(),
                "--kubeconfig=" + kubeconfig, "--leader-elect=false", "--controllers=*,-nodelifecycle",
                "--service-account-private-key-file=" + key, "--port=0", "--secure-port=0", "--profiling=false"));

        try (KubernetesClient admin = adminClient()) {
            admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata()
                    .build()).create();
            // Pods are refused until the namespace's default ServiceAccount exists (its controller makes it).
            await("the controller manager to create the default ServiceAccount", "kube-controller-manager",
                    () -> admin.serviceAccounts().inNamespace(NAMESPACE).withName("default").get() != null);
        }
        System.out.printf("Kubernetes %s control plane on %s, ready in %d ms (logs in %s)%n", VERSION, url(),
                Duration.between(started, Instant.now()).toMillis(), dir);
    }

    public String url() {
        return "https://127.0.0.1:" + apiPort;
    }

    /** Everything allowed ({@code system:masters}): for the test playing kubelet and for setting up. */
    public KubernetesClient adminClient() {
        return client(adminToken);
    }

    /** As Kiln's server in the cluster: only what {@code k8s/rbac.yaml} grants its ServiceAccount. */
    public KubernetesClient serverClient() {
        return client(serverToken);
    }

    /** As the server, with something added to its HTTP client (an interceptor that stages a race). */
    public KubernetesClient serverClient(Consumer<io.fabric8.kubernetes.client.http.HttpClient.Builder> http) {
        return new KubernetesClientBuilder().withConfig(config(serverToken)).withHttpClientBuilderConsumer(http).build();
    }

    /**
     * The system properties by which a fabric8 client built without configuration (as Kiln's server builds its own)
     * finds this API server as Kiln's server's ServiceAccount. They win over a kubeconfig and the pod's own account.
     */
    public java.util.Map<String, String> serverClientProperties() {
        return java.util.Map.of(Config.KUBERNETES_MASTER_SYSTEM_PROPERTY, url(),
                Config.KUBERNETES_OAUTH_TOKEN_SYSTEM_PROPERTY, serverToken,
                Config.KUBERNETES_TRUST_CERT_SYSTEM_PROPERTY, "true",
                Config.KUBERNETES_AUTH_TRYKUBECONFIG_SYSTEM_PROPERTY, "false",
                Config.KUBERNETES_AUTH_TRYSERVICEACCOUNT_SYSTEM_PROPERTY, "false");
    }

    KubernetesClient client(String token) {
        return new KubernetesClientBuilder().withConfig(config(token)).build();
    }

    Config config(String token) {
        Config config = Config.fromKubeconfig(kubeconfig(token));
        config.setNamespace(NAMESPACE);
        return config;
    }

    String kubeconfig(String token) {
        return """
                apiVersion: v1
                kind: Config
                clusters:
                - name: test
                  cluster: {server: "%s", insecure-skip-tls-verify: true}
                users:
                - name: test
                  user: {token: "%s"}
                contexts:
                - name: test
                  context: {cluster: test, user: test, namespace: %s}
                current-context: test
                """.formatted(url(), token, NAMESPACE);
    }

    /** The tail of one component's log, for a failure message. */
    String log(String component) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve(component + ".log"), StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        // The controller manager first, etcd last: each stops talking to what is still there.
        for (Process process : processes.reversed()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        processes.clear();
        deleteTree(dir.resolve("etcd"));
    }

    private void launch(String name, List<String> command) throws IOException {
        Files.writeString(dir.resolve(name + ".command"), String.join(" \\\n  ", command) + "\n");
        processes.add(new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve(name + ".log").toFile()).start());
    }

    private void await(String what, String component, BooleanSupplier ready) {
        Process process = processes.getLast();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            boolean ok;
            try {
                ok = ready.getAsBoolean();
            } catch (RuntimeException e) {
                ok = false;
            }
            if (ok) {
                return;
            }
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("A control plane process exited (" + p.exitValue()
                            + ") while waiting for " + what + "; " + component + "'s log:\n" + log(component));
                }
            }
            try {
                Thread.sleep(100); // nothing to be woken by: the process is starting up
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("Timed out after " + START_TIMEOUT + " waiting for " + what + "; "
                + component + "'s log:\n" + log(component) + (process.isAlive() ? "" : "\n(exited)"));
    }

    /** A GET over loopback, trusting the API server's self-signed certificate (it made it at start-up). */
    private static String get(String url, String token) {
        try {
            var builder = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2));
            if (token != null) {
                builder.header("Authorization", "Bearer " + token);
            }
            try (var http = HttpClient.newBuilder().sslContext(trustAll()).connectTimeout(Duration.ofSeconds(2))
                    .build()) {
                return http.send(builder.build(), HttpResponse.BodyHandlers.ofString()).body();
            }
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static SSLContext trustAll() {
        try {
            var context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new X509TrustManager() {
                @Override public void checkClientTrusted(X509Certificate[] chain, String authType) {}
                @Override public void checkServerTrusted(X509Certificate[] chain, String authType) {}
                @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, new SecureRandom());
            return context;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The key that signs and verifies ServiceAccount tokens (required flags, though the tests use static tokens). */
    private static void writeServiceAccountKey(Path file) throws IOException {
        try {
            var generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            byte[] pkcs8 = generator.generateKeyPair().getPrivate().getEncoded();
            Files.writeString(file, "-----BEGIN PRIVATE KEY-----\n"
                    + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs8)
                    + "\n-----END PRIVATE KEY-----\n");
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String token() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static int freePort() throws IOException {
        try (var socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // leftovers under target/ go with the next clean
        }
    }
}
