package dev.kiln.server.files;

import dev.kiln.api.files.FileEntry;
import dev.kiln.api.files.FilePreview;
import dev.kiln.api.files.StudioFiles;
import dev.kiln.api.studio.StudioException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code /api/studios/{id}/fs}: the studio's files as one tree, the workspace and the machine's home. Paths are
 * relative to the home ({@code workspace/README.md}, {@code data/sums.csv}). Uploads and downloads stream: an upload
 * of any size (up to {@code kiln.files.max-upload-size}) goes to the machine with one buffer of memory, and a folder
 * comes back as a zip or tar.gz written while it is read.
 */
@RestController
@RequestMapping("/api/studios/{id}/fs")
class FilesApiController {
    private final StudioFilesService files;

    FilesApiController(StudioFilesService files) {
        this.files = files;
    }

    record Rename(String from, String to) {}

    record Folder(String path) {}

    @GetMapping("/workspace")
    StudioFiles.Listing workspace(@PathVariable String id) {
        return files.workspace(id);
    }

    @GetMapping("/list")
    StudioFiles.Listing list(@PathVariable String id, @RequestParam(defaultValue = "") String path) {
        return files.home(id, path);
    }

    @GetMapping("/preview")
    FilePreview preview(@PathVariable String id, @RequestParam String path) {
        return files.preview(id, path);
    }

    @PutMapping("/upload")
    @ResponseStatus(HttpStatus.CREATED)
    FileEntry upload(@PathVariable String id, @RequestParam String path,
                     @RequestParam(defaultValue = "false") boolean overwrite, HttpServletRequest request)
            throws IOException {
        long size = request.getContentLengthLong();
        if (size < 0) {
            throw new StudioException(StudioException.Kind.INVALID, "Send the upload with a Content-Length.");
        }
        if (size > files.maxUploadBytes()) {
            // Refused before a byte is read; the connection closes so the rest is not swallowed.
            throw new StudioException(StudioException.Kind.TOO_LARGE, "This file is " + FilePreviews.human(size)
                    + ", over the upload limit of " + FilePreviews.human(files.maxUploadBytes())
                    + " (kiln.files.max-upload-size).");
        }
        return files.upload(id, path, request.getInputStream(), size, overwrite);
    }

    @GetMapping("/download")
    void download(@PathVariable String id, @RequestParam(defaultValue = "") String path,
                  @RequestParam(required = false) String format, HttpServletResponse response) throws IOException {
        files.download(id, path, format, false, (name, type, size) -> start(response, name, type, size, false));
    }

    /** An image, shown in the page (only image types; nothing here can run script). */
    @GetMapping("/raw")
    void raw(@PathVariable String id, @RequestParam String path, HttpServletResponse response) throws IOException {
        files.download(id, path, null, true, (name, type, size) -> start(response, name, type, size, true));
    }

    @PostMapping("/folder")
    @ResponseStatus(HttpStatus.CREATED)
    void folder(@PathVariable String id, @RequestBody Folder request) {
        files.createFolder(id, request.path());
    }

    @PostMapping("/rename")
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void rename(@PathVariable String id, @RequestBody Rename request) {
        files.rename(id, request.from(), request.to());
    }

    @DeleteMapping
    @ResponseStatus(HttpStatus.NO_CONTENT)
    void delete(@PathVariable String id, @RequestParam String path) {
        files.delete(id, path);
    }

    @GetMapping("/limits")
    Map<String, Long> limits(@PathVariable String id) {
        return Map.of("maxUploadBytes", files.maxUploadBytes(), "maxFileBytes", files.maxFileBytes());
    }

    private static OutputStream start(HttpServletResponse response, String name, String type, long size,
                                      boolean inline) throws IOException {
        response.setContentType(type);
        response.setHeader("Content-Disposition", (inline ? ContentDisposition.inline() : ContentDisposition.attachment())
                .filename(name, StandardCharsets.UTF_8).build().toString());
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Content-Security-Policy", "sandbox; default-src 'none'");
        response.setHeader("Cache-Control", "no-store");
        if (size >= 0) {
            response.setContentLengthLong(size);
        }
        return response.getOutputStream();
    }
}
