package dev.kiln.training.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which connection an {@code s3://} location is read through, and the refusals when that is not clear. */
class ConnectionsTest {
    @TempDir
    Path dir;

    private Connections connections(String... s3) throws Exception {
        var json = new StringBuilder("{\"connections\":[");
        for (int i = 0; i < s3.length; i += 2) {
            json.append(i == 0 ? "" : ",").append("{\"name\":\"").append(s3[i]).append("\",\"type\":\"s3\",")
                    .append("\"bucket\":\"").append(s3[i + 1]).append("\",\"accessKeyId\":\"AK\"}");
        }
        Path file = dir.resolve("connections-" + s3.length + ".json");
        Files.writeString(file, json.append("]}").toString());
        return Connections.load(file);
    }

    @Test
    void twoConnectionsForOneBucketAreRefusedWithTheirNames() throws Exception {
        var both = connections("lake-prod", "lake", "lake-old", "lake");
        assertThatThrownBy(() -> both.connectionFor(S3Uri.parse("s3://lake/raw/")))
                .hasMessage("s3://lake/raw/ could mean 2 connections of this job, which all name the bucket 'lake': "
                        + "lake-prod, lake-old. Say which one, for example s3://lake-prod@lake/raw/");
        assertThat(both.connectionFor(S3Uri.parse("s3://lake-old@lake/raw/"))).isEqualTo("lake-old");
        assertThat(both.describe(S3Uri.parse("s3://lake-old@lake/raw/"))).isEqualTo("the connection 'lake-old'");
    }

    @Test
    void theBucketsConnectionOrTheOnlyOneOrNone() throws Exception {
        var two = connections("lake", "lake", "logs", "logs");
        assertThat(two.connectionFor(S3Uri.parse("s3://logs/x"))).isEqualTo("logs");
        assertThatThrownBy(() -> two.connectionFor(S3Uri.parse("s3://other/x")))
                .hasMessageStartingWith("None of this job's S3 connections (lake for bucket 'lake', logs for bucket "
                        + "'logs') is for the bucket 'other' of s3://other/x.");
        assertThat(connections("lake", "lake").connectionFor(S3Uri.parse("s3://other/x"))).isEqualTo("lake");
        assertThat(connections().describe(S3Uri.parse("s3://other/x"))).startsWith("the AWS SDK's default");
    }
}
