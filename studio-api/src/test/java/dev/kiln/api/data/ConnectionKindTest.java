package dev.kiln.api.data;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ConnectionKindTest {

    @Test
    void kindsAsPeopleWriteThem() {
        assertThat(ConnectionKind.label("s3")).isEqualTo("S3");
        assertThat(ConnectionKind.label("snowflake")).isEqualTo("Snowflake");
        assertThat(ConnectionKind.label("postgresql")).isEqualTo("PostgreSQL");
        assertThat(ConnectionKind.label("mysql")).as("unknown: as it is").isEqualTo("mysql");
        assertThat(ConnectionKind.label(null)).isNull();
    }

    @Test
    void onlyS3IsNotQueriedWithSql() {
        assertThat(ConnectionKind.values()).filteredOn(k -> !k.sql()).containsExactly(ConnectionKind.S3);
        assertThat(ConnectionKind.S3.is("s3")).isTrue();
        assertThat(ConnectionKind.S3.is(null)).isFalse();
    }
}
