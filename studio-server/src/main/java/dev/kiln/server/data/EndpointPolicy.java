package dev.kiln.server.data;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Where Kiln may connect on a user's behalf (S3 endpoints, database hosts), decided on the addresses a host resolves
 * to, so that a data connection never borrows the server's network position. Public addresses are fine. The cloud
 * metadata services and link-local addresses are never reachable, whatever the allowlist says: they hand out the
 * server's own identity. Loopback, private, shared (CGNAT) and other non-public ranges are reachable only where the
 * admin's allowlist ({@code kiln.data.allowed-endpoints}) names them: {@code host}, {@code host:port},
 * {@code *.suffix[:port]}, an address or a CIDR range ({@code 10.0.0.0/8}, {@code [fd00::/8]:5432}).
 * Pure: the caller resolves, or lets {@link #resolve} do it.
 */
final class EndpointPolicy {
    /** What a user reads for every refusal and every failure to connect: open, closed, internal all look alike. */
    static final String UNREACHABLE = "Cannot reach the endpoint. Check its address and port; an internal address "
            + "needs an admin's permission (kiln.data.allowed-endpoints).";

    /** How an address is treated. */
    enum Kind { PUBLIC, NON_PUBLIC, NEVER }

    /** A refusal, with the reason for the server's log (never for the user). */
    static final class Refused extends UnknownHostException {
        Refused(String detail) {
            super(detail);
        }
    }

    private static final Set<String> METADATA_NAMES = Set.of("metadata", "metadata.google.internal",
            "metadata.goog", "instance-data", "instance-data.ec2.internal", "metadata.azure.internal",
            "metadata.tencentyun.com", "metadata.platformequinix.com", "metadata.packet.net");
    /** Metadata services outside the link-local range (Alibaba, Azure's wire server, Oracle's old one, EC2 IPv6). */
    private static final List<Range> METADATA = List.of(Range.parse("100.100.100.200/32"),
            Range.parse("168.63.129.16/32"), Range.parse("192.0.0.192/32"), Range.parse("fd00:ec2::/32"));
    private static final List<Range> LINK_LOCAL = List.of(Range.parse("169.254.0.0/16"), Range.parse("fe80::/10"));
    private static final List<Range> NON_PUBLIC = List.of(
            Range.parse("0.0.0.0/8"), Range.parse("10.0.0.0/8"), Range.parse("100.64.0.0/10"),
            Range.parse("127.0.0.0/8"), Range.parse("172.16.0.0/12"), Range.parse("192.0.0.0/24"),
            Range.parse("192.0.2.0/24"), Range.parse("192.168.0.0/16"), Range.parse("198.18.0.0/15"),
            Range.parse("198.51.100.0/24"), Range.parse("203.0.113.0/24"), Range.parse("224.0.0.0/3"),
            Range.parse("::/96"), Range.parse("::ffff:0:0/96"), Range.parse("100::/64"),
            Range.parse("2001:db8::/32"), Range.parse("fc00::/7"), Range.parse("fec0::/10"),
            Range.parse("ff00::/8"));

    private final List<Entry> allowed;

    private EndpointPolicy(List<Entry> allowed) {
        this.allowed = allowed;
    }

    /** The admin's allowlist: entries separated by commas or spaces; an empty one allows public addresses only. */
    static EndpointPolicy of(String allowlist) {
        var entries = new ArrayList<Entry>();
        for (String text : (allowlist == null ? "" : allowlist).split("[,\\s]+")) {
            if (!text.isBlank()) {
                entries.add(Entry.parse(text.strip()));
            }
        }
        return new EndpointPolicy(List.copyOf(entries));
    }

    boolean allowsNonPublic() {
        return !allowed.isEmpty();
    }

    /** Resolves {@code host} and checks every address it has; all of them, or a {@link Refused} naming why. */
    InetAddress[] resolve(String host, int port) throws UnknownHostException {
        String name = normalize(host);
        if (name.isEmpty()) {
            throw new Refused("no host given");
        }
        if (METADATA_NAMES.contains(name)) {
            throw new Refused(name + " is a cloud metadata service");
        }
        InetAddress[] addresses = InetAddress.getAllByName(name.contains(":") ? "[" + name + "]" : name);
        for (InetAddress address : addresses) {
            String refusal = refusal(name, port, address);
            if (refusal != null) {
                throw new Refused(refusal);
            }
        }
        return addresses;
    }

    /** Null when Kiln may connect to {@code address} (which {@code host} resolved to) on {@code port}; else why not. */
    String refusal(String host, int port, InetAddress address) {
        String name = normalize(host);
        String where = (name.equals(address.getHostAddress()) ? name : name + " (" + address.getHostAddress() + ")")
                + ":" + port;
        return switch (kind(address)) {
            case PUBLIC -> null;
            case NEVER -> where + " is link-local or a cloud metadata service, which Kiln never connects to";
            case NON_PUBLIC -> allowed.stream().anyMatch(e -> e.matches(name, port, address)) ? null
                    : where + " is a loopback, private or other non-public address that kiln.data.allowed-endpoints "
                    + "does not name";
        };
    }

    static Kind kind(InetAddress address) {
        byte[] bytes = address.getAddress();
        byte[] embedded = embeddedIpv4(bytes);
        if (embedded != null && kind(embedded) != Kind.PUBLIC) {
            return kind(embedded) == Kind.NEVER ? Kind.NEVER : Kind.NON_PUBLIC;
        }
        return kind(bytes);
    }

    private static Kind kind(byte[] bytes) {
        if (METADATA.stream().anyMatch(r -> r.contains(bytes)) || LINK_LOCAL.stream().anyMatch(r -> r.contains(bytes))) {
            return Kind.NEVER;
        }
        return NON_PUBLIC.stream().anyMatch(r -> r.contains(bytes)) ? Kind.NON_PUBLIC : Kind.PUBLIC;
    }

    /** The IPv4 address inside an IPv6 one that carries it (mapped, compatible, NAT64, 6to4), so 127.0.0.1 can't hide. */
    private static byte[] embeddedIpv4(byte[] bytes) {
        if (bytes.length != 16) {
            return null;
        }
        boolean zeros = true;
        for (int i = 0; i < 10; i++) {
            zeros &= bytes[i] == 0;
        }
        boolean mapped = zeros && ((bytes[10] == 0 && bytes[11] == 0) || (bytes[10] == (byte) 0xff
                && bytes[11] == (byte) 0xff));
        boolean nat64 = bytes[0] == 0 && bytes[1] == 0x64 && bytes[2] == (byte) 0xff && bytes[3] == (byte) 0x9b;
        if (mapped || nat64) {
            return Arrays.copyOfRange(bytes, 12, 16);
        }
        if (bytes[0] == 0x20 && bytes[1] == 0x02) {
            return Arrays.copyOfRange(bytes, 2, 6);
        }
        return null;
    }

    private static String normalize(String host) {
        String name = host == null ? "" : host.strip().toLowerCase(Locale.ROOT);
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        while (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    /** An address range: network bytes and prefix length. */
    private record Range(byte[] network, int prefix) {
        static Range parse(String cidr) {
            int slash = cidr.indexOf('/');
            byte[] network = literal(slash < 0 ? cidr : cidr.substring(0, slash));
            if (network == null) {
                throw new IllegalArgumentException("'" + cidr + "' is not an IP address or range");
            }
            int prefix = network.length * 8;
            if (slash >= 0) {
                try {
                    prefix = Integer.parseInt(cidr.substring(slash + 1));
                } catch (NumberFormatException e) {
                    prefix = -1;
                }
                if (prefix < 0 || prefix > network.length * 8) {
                    throw new IllegalArgumentException("'" + cidr + "' has a prefix length outside 0-"
                            + network.length * 8);
                }
            }
            return new Range(network, prefix);
        }

        boolean contains(byte[] address) {
            if (address.length != network.length) {
                return false;
            }
            for (int bit = 0; bit < prefix; bit++) {
                int mask = 0x80 >> (bit % 8);
                if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** A numeric IPv4 or IPv6 literal, without a DNS lookup; null for anything else. */
    private static byte[] literal(String text) {
        boolean v4 = text.matches("\\d{1,3}(\\.\\d{1,3}){3}");
        boolean v6 = text.contains(":") && text.matches("[0-9A-Fa-f:.]+");
        if (!v4 && !v6) {
            return null;
        }
        try {
            InetAddress address = InetAddress.getByName(text);
            byte[] bytes = address.getAddress();
            // Java turns ::ffff:a.b.c.d into an IPv4 address; a range written that way still means IPv6.
            if (v6 && address instanceof Inet4Address) {
                byte[] mapped = new byte[16];
                mapped[10] = (byte) 0xff;
                mapped[11] = (byte) 0xff;
                System.arraycopy(bytes, 0, mapped, 12, 4);
                return mapped;
            }
            return address instanceof Inet6Address || address instanceof Inet4Address ? bytes : null;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** One allowlist entry: a host name (or {@code *.suffix}) or an address range, and maybe a port. */
    private record Entry(String name, Range range, int port) {
        static Entry parse(String text) {
            String host = text;
            int port = -1;
            if (text.startsWith("[")) {
                int close = text.indexOf(']');
                if (close < 0) {
                    throw invalid(text);
                }
                host = text.substring(1, close);
                String rest = text.substring(close + 1);
                if (!rest.isEmpty()) {
                    port = rest.startsWith(":") ? port(rest.substring(1), text) : -2;
                }
            } else if (text.chars().filter(c -> c == ':').count() == 1) {
                host = text.substring(0, text.indexOf(':'));
                port = port(text.substring(text.indexOf(':') + 1), text);
            }
            if (port == -2 || host.isEmpty()) {
                throw invalid(text);
            }
            if (host.contains("/") || literal(host) != null) {
                try {
                    return new Entry(null, Range.parse(host), port);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("kiln.data.allowed-endpoints: " + e.getMessage());
                }
            }
            String name = normalize(host);
            if (!name.matches("(\\*\\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*")) {
                throw invalid(text);
            }
            return new Entry(name, null, port);
        }

        private static int port(String text, String entry) {
            try {
                int port = Integer.parseInt(text);
                if (port >= 1 && port <= 65535) {
                    return port;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw invalid(entry);
        }

        private static IllegalArgumentException invalid(String text) {
            return new IllegalArgumentException("kiln.data.allowed-endpoints: '" + text + "' is not host, host:port, "
                    + "*.domain, an address, or a range such as 10.0.0.0/8 or [fd00::/8]:5432");
        }

        boolean matches(String host, int port, InetAddress address) {
            if (this.port > 0 && this.port != port) {
                return false;
            }
            if (range != null) {
                return range.contains(address.getAddress());
            }
            return name.startsWith("*.") ? host.endsWith(name.substring(1)) : host.equals(name);
        }
    }
}
