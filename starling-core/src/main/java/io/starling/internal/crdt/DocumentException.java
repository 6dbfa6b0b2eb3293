package io.starling.internal.crdt;

/** A write that the document's current shape does not allow (e.g. INCREMENT on a string). */
public final class DocumentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DocumentException(String message) {
        super(message);
    }
}
