package dev.kiln.machine.kernel;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * A Jupyter connection file: where a kernel's five ZeroMQ sockets listen and the key that signs its messages. Kiln's
 * kernels listen on the loopback only ({@value #LOOPBACK}), and the file is created readable by its owner only (in a
 * directory only its owner may enter) before the key is written, so only the machine's own user can talk to a kernel.
 */
public record ConnectionInfo(String ip, int shellPort, int iopubPort, int stdinPort, int controlPort, int hbPort,
                             String key, String kernelName) {
    public static final String LOOPBACK = "127.0.0.1";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Five free loopback ports and a fresh 256-bit key. */
    public static ConnectionInfo allocate(String kernelName) throws IOException {
        int[] ports = new int[5];
        var sockets = new ServerSocket[5];
        try {
            // Held open together so the five are distinct, then released for the kernel to bind (as jupyter_client does).
            for (int i = 0; i < 5; i++) {
                sockets[i] = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK));
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (var socket : sockets) {
                if (socket != null) {
                    socket.close();
                }
            }
        }
        byte[] key = new byte[32];
        RANDOM.nextBytes(key);
        return new ConnectionInfo(LOOPBACK, ports[0], ports[1], ports[2], ports[3], ports[4], HexFormat.of().formatHex(key),
                kernelName);
    }

    public String address(int port) {
        return "tcp://" + ip + ":" + port;
    }

    /** Writes the connection file, owner-only from its first byte. */
    public void write(Path file) throws IOException {
        Files.deleteIfExists(file);
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        var node = JupyterMessage.JSON.createObjectNode();
        node.put("shell_port", shellPort);
        node.put("iopub_port", iopubPort);
        node.put("stdin_port", stdinPort);
        node.put("control_port", controlPort);
        node.put("hb_port", hbPort);
        node.put("ip", ip);
        node.put("key", key);
        node.put("transport", "tcp");
        node.put("signature_scheme", "hmac-sha256");
        node.put("kernel_name", kernelName);
        Files.writeString(file, node.toPrettyString(), StandardCharsets.UTF_8);
    }

    public static ConnectionInfo read(Path file) throws IOException {
        var node = JupyterMessage.JSON.readTree(Files.readString(file));
        if (!"tcp".equals(node.path("transport").asString("tcp"))) {
            throw new IOException("only tcp kernels are supported, not " + node.path("transport").asString());
        }
        if (!"hmac-sha256".equals(node.path("signature_scheme").asString("hmac-sha256"))) {
            throw new IOException("only hmac-sha256 signatures are supported");
        }
        return new ConnectionInfo(node.path("ip").asString(LOOPBACK), node.path("shell_port").asInt(),
                node.path("iopub_port").asInt(), node.path("stdin_port").asInt(), node.path("control_port").asInt(),
                node.path("hb_port").asInt(), node.path("key").asString(""), node.path("kernel_name").asString(""));
    }
}
