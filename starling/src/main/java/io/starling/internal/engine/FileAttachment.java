package io.starling.internal.engine;

import io.starling.Attachment;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.StarlingException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** An attachment held here: reads its blob file. */
final class FileAttachment implements Attachment {
    /** The largest array Java allocates, about. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 16;

    private final AttachmentToken token;
    private final Path file;

    FileAttachment(AttachmentToken token, Path file) {
        this.token = token;
        this.file = file;
    }

    @Override
    public AttachmentToken token() {
        return token;
    }

    @Override
    public byte[] data() {
        if (token.len() > MAX_ARRAY) {
            throw new StarlingException(
                    ErrorCode.ATTACHMENT_TOO_LARGE,
                    "attachment " + token.id() + " has " + token.len()
                            + " bytes, more than an array holds: read it with inputStream() or copyTo()");
        }
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw BlobStore.io("cannot read attachment " + token.id() + " from " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void copyTo(Path target) {
        Path absolute = target.toAbsolutePath();
        Path parent = absolute.getParent();
        Path tmp = absolute.resolveSibling("." + absolute.getFileName() + ".starling-tmp-"
                + ProcessHandle.current().pid());
        try {
            if (parent != null) Files.createDirectories(parent);
            Files.copy(file, tmp, StandardCopyOption.REPLACE_EXISTING);
            try {
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the copy failed already; report that
            }
            throw BlobStore.io("cannot copy attachment " + token.id() + " to " + target + ": " + e.getMessage(), e);
        }
    }

    @Override
    public InputStream inputStream() {
        try {
            return Files.newInputStream(file);
        } catch (IOException e) {
            throw BlobStore.io("cannot open attachment " + token.id() + " at " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Attachment[" + token.id() + ", " + token.len() + " bytes]";
    }
}
