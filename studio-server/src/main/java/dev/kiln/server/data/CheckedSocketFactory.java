package dev.kiln.server.data;

import javax.net.SocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sockets PostgreSQL's driver opens for a data connection (pgjdbc's {@code socketFactory}, instantiated by class
 * name with {@code socketFactoryArg} = a token Kiln registered for one query). Each socket checks the address it is
 * about to connect to against the {@link EndpointPolicy} (the address itself, after resolution, so DNS rebinding gains
 * nothing) and is remembered under its token, so that Kiln can close them: a cancel, or a login that takes too long,
 * then frees the thread blocked on them even when the server never answers.
 */
public final class CheckedSocketFactory extends SocketFactory {
    /** A query's network: the policy to check against, what to call it in the log, the sockets it has open. */
    record Lease(EndpointPolicy policy, Set<Socket> sockets) {
        void closeAll() {
            for (Socket socket : sockets) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing is all we want
                }
            }
        }
    }

    private static final Map<String, Lease> LEASES = new ConcurrentHashMap<>();

    /** Registers a token for one query's connections; {@link #release} it when the query's connection is closed. */
    static Lease lease(String token, EndpointPolicy policy) {
        var lease = new Lease(policy, ConcurrentHashMap.newKeySet());
        LEASES.put(token, lease);
        return lease;
    }

    static void release(String token) {
        var lease = LEASES.remove(token);
        if (lease != null) {
            lease.closeAll();
        }
    }

    private final Lease lease;

    /** What pgjdbc calls without a {@code socketFactoryArg}: no token, so no connection is allowed. */
    public CheckedSocketFactory() {
        this(null);
    }

    public CheckedSocketFactory(String token) {
        this.lease = token == null ? null : LEASES.get(token);
    }

    @Override
    public Socket createSocket() {
        return new CheckedSocket(lease);
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket socket = createSocket();
        socket.connect(new InetSocketAddress(host, port));
        return socket;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return createSocket(host, port);
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return createSocket(host.getHostAddress(), port);
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return createSocket(address, port);
    }

    private static final class CheckedSocket extends Socket {
        private final Lease lease;

        CheckedSocket(Lease lease) {
            this.lease = lease;
        }

        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            if (lease == null) {
                throw new EndpointPolicy.Refused("a connection without Kiln's permission");
            }
            if (!(endpoint instanceof InetSocketAddress target)) {
                throw new EndpointPolicy.Refused("not an internet address: " + endpoint);
            }
            String host = target.getHostString();
            InetAddress address;
            if (target.isUnresolved()) {
                address = lease.policy().resolve(host, target.getPort())[0];
            } else {
                address = target.getAddress();
                String refusal = lease.policy().refusal(host, target.getPort(), address);
                if (refusal != null) {
                    throw new EndpointPolicy.Refused(refusal);
                }
            }
            lease.sockets().add(this);
            if (!LEASES.containsValue(lease)) {
                lease.sockets().remove(this);
                throw new java.net.SocketException("the query ended");
            }
            super.connect(new InetSocketAddress(address, target.getPort()), timeout);
        }

        @Override
        public synchronized void close() throws IOException {
            if (lease != null) {
                lease.sockets().remove(this);
            }
            super.close();
        }
    }
}
