package dev.kiln.server.config;

import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class HttpLimitsConfigurationTest {

    final KilnProperties properties = new KilnProperties(Path.of("data"), DataSize.ofMegabytes(10), "admin", "");

    @Test
    void theLimitIsTwiceTheFileSizePlusOneMegabyteUnlessSet() {
        var configuration = new HttpLimitsConfiguration();
        assertThat(configuration.requestBodyLimit(properties, "").getFilter().limitBytes()).isEqualTo(21L << 20);
        assertThat(configuration.requestBodyLimit(properties, "64MB").getFilter().limitBytes()).isEqualTo(64L << 20);
    }
}
