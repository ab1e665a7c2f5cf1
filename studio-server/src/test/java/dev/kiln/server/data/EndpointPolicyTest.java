package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which addresses a data connection may reach, with and without the admin's allowlist. */
class EndpointPolicyTest {
    static InetAddress ip(String literal) throws Exception {
        return InetAddress.getByName(literal);
    }

    @Test
    void publicAddressesAreReachableAndEverythingInternalIsNotByDefault() throws Exception {
        var policy = EndpointPolicy.of("");
        assertThat(policy.refusal("s3.eu-west-1.amazonaws.com", 443, ip("52.218.1.2"))).isNull();
        assertThat(policy.refusal("db.example.com", 5432, ip("2a00:1450:4001:80b::200e"))).isNull();
        for (String internal : new String[] {"127.0.0.1", "127.1.2.3", "0.0.0.0", "10.0.0.5", "172.16.0.1",
                "172.31.255.255", "192.168.1.1", "100.64.0.1", "::1", "::", "fc00::1", "fd12:3456::1",
                "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "2002:7f00:1::", "224.0.0.1",
                "255.255.255.255"}) {
            assertThat(policy.refusal(internal, 80, ip(internal))).as(internal).contains("non-public");
        }
        for (String never : new String[] {"169.254.169.254", "169.254.170.2", "169.254.0.1", "fe80::1",
                "fd00:ec2::254", "100.100.100.200", "168.63.129.16", "::ffff:169.254.169.254"}) {
            assertThat(policy.refusal(never, 80, ip(never))).as(never).contains("metadata");
        }
        assertThat(EndpointPolicy.kind(ip("172.32.0.1"))).isEqualTo(EndpointPolicy.Kind.PUBLIC);
        assertThat(EndpointPolicy.kind(ip("100.128.0.1"))).isEqualTo(EndpointPolicy.Kind.PUBLIC);
    }

    @Test
    void theAllowlistOpensExactlyWhatItNamesButNeverTheMetadataService() throws Exception {
        var policy = EndpointPolicy.of("127.0.0.1:9000, 10.1.0.0/16 minio.internal:9000 *.lake.corp [::1]:5432,"
                + " 169.254.0.0/16 metadata.google.internal");
        assertThat(policy.refusal("127.0.0.1", 9000, ip("127.0.0.1"))).isNull();
        assertThat(policy.refusal("127.0.0.1", 9001, ip("127.0.0.1"))).isNotNull();
        assertThat(policy.refusal("10.1.200.3", 5432, ip("10.1.200.3"))).isNull();
        assertThat(policy.refusal("10.2.0.1", 5432, ip("10.2.0.1"))).isNotNull();
        assertThat(policy.refusal("minio.internal", 9000, ip("192.168.7.7"))).isNull();
        assertThat(policy.refusal("MINIO.internal.", 9000, ip("192.168.7.7"))).isNull();
        assertThat(policy.refusal("minio.internal", 80, ip("192.168.7.7"))).isNotNull();
        assertThat(policy.refusal("a.b.lake.corp", 443, ip("10.9.9.9"))).isNull();
        assertThat(policy.refusal("lake.corp.evil.com", 443, ip("10.9.9.9"))).isNotNull();
        assertThat(policy.refusal("::1", 5432, ip("::1"))).isNull();
        // Naming them does not open the metadata services: they hand out the server's own identity.
        assertThat(policy.refusal("169.254.169.254", 80, ip("169.254.169.254"))).contains("metadata");
        assertThat(policy.refusal("minio.internal", 9000, ip("169.254.169.254"))).contains("metadata");
        assertThatThrownBy(() -> policy.resolve("metadata.google.internal", 80))
                .isInstanceOf(EndpointPolicy.Refused.class).hasMessageContaining("metadata");
    }

    @Test
    void resolvingChecksEveryAddressOfTheName() throws Exception {
        var policy = EndpointPolicy.of("");
        assertThatThrownBy(() -> policy.resolve("localhost", 5432)).isInstanceOf(EndpointPolicy.Refused.class)
                .hasMessageContaining("localhost (").hasMessageContaining(":5432");
        assertThatThrownBy(() -> policy.resolve("127.0.0.1", 80)).isInstanceOf(EndpointPolicy.Refused.class);
        assertThatThrownBy(() -> policy.resolve("[::1]", 80)).isInstanceOf(EndpointPolicy.Refused.class);
        assertThatThrownBy(() -> policy.resolve("2130706433", 80)).isInstanceOf(java.net.UnknownHostException.class);
        assertThat(EndpointPolicy.of("localhost:5432").resolve("localhost", 5432)).isNotEmpty();
    }

    @Test
    void aMistakeInTheAllowlistStopsTheServerWithTheEntryNamed() {
        for (String wrong : new String[] {"10.0.0.0/33", "host:0", "host:99999", "[::1", "bad_host!", "a:b"}) {
            assertThatThrownBy(() -> EndpointPolicy.of(wrong)).as(wrong).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("kiln.data.allowed-endpoints");
        }
    }
}
