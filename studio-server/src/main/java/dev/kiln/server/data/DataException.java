package dev.kiln.server.data;

/** Something about a data connection that the user can fix (credentials, bucket, network), said in a sentence. */
public class DataException extends RuntimeException {
    public DataException(String message) {
        super(message);
    }
}
