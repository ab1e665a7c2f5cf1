package dev.kiln.api.data;

/** Kinds of data connections as people write them: "Amazon S3", "Snowflake", "PostgreSQL", not "s3". */
public final class DataKinds {
    private DataKinds() {}

    public static String label(String kind) {
        return switch (kind == null ? "" : kind) {
            case "s3" -> "S3";
            case "snowflake" -> "Snowflake";
            case "postgresql" -> "PostgreSQL";
            default -> kind;
        };
    }
}
