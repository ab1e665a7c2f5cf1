package dev.kiln.machine.catalog;

/** A machine catalog that cannot be used, or a machine type it does not have. */
public class CatalogException extends RuntimeException {
    public CatalogException(String message) {
        super(message);
    }
}
