package dev.kiln.api.files;

/**
 * A file as loaded into the editor.
 *
 * @param version the content's git blob id when it was read; a save passes it back so the server can refuse to
 *                overwrite a newer version ("changed since you opened it")
 * @param binary  true when the file is not UTF-8 text; {@code text} is then empty and the editor opens read-only
 */
public record FileContent(String path, String text, String version, boolean binary, long size) {
}
