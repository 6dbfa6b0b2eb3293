package io.starling.cli;

import io.starling.Attachment;
import io.starling.AttachmentFetchListener;
import io.starling.AttachmentToken;
import io.starling.ErrorCode;
import io.starling.Starling;
import io.starling.StarlingException;
import io.starling.internal.engine.DefaultStarling;
import io.starling.internal.query.Permissions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * {@code POST /api/v1/attachments} and {@code GET /api/v1/attachments/{id}} (docs/HTTP-API.md, "Attachments"). The
 * server has checked the token, the host and the origin before; an upload's body is streamed to the blob store, bounded
 * by the store's attachment limit.
 */
final class AttachmentEndpoints {
    static final String PATH = "/api/v1/attachments";
    /** The most bytes one GET answers; larger blobs are read with Range requests. */
    static final long MAX_RESPONSE = 64L << 20;

    private final Starling db;

    AttachmentEndpoints(Starling db) {
        this.db = db;
    }

    static boolean owns(String path) {
        return path.equals(PATH) || path.startsWith(PATH + "/");
    }

    /**
     * Answers an attachment request.
     *
     * @param grant the API key's permissions, or null for the admin token (or an API without a token)
     */
    HttpApi.Response handle(HttpApi.Request request, Permissions.@Nullable Grant grant) {
        if (request.path().equals(PATH)) {
            if (!request.method().equals("POST")) return notAllowed("POST");
            return upload(request.query(), new ByteArrayInputStream(request.body()));
        }
        String id = request.path().substring(PATH.length() + 1);
        if (!AttachmentToken.isId(id)) {
            return HttpApi.error(
                    404, HttpApi.NOT_FOUND, "no such attachment: '" + id + "' is not an id (64 lowercase hex digits)");
        }
        if (!request.method().equals("GET")) return notAllowed("GET");
        if (grant != null) {
            String refusal = refusal(grant, id);
            if (refusal != null) {
                return HttpApi.error(
                        403, ErrorCode.PERMISSION_DENIED.code(), "this API key may not download: " + refusal);
            }
        }
        return download(request, id);
    }

    /**
     * Stores {@code body} (streamed: the server hands the connection's bytes over as they come, never the whole body);
     * metadata comes from the query parameters ({@code ?name=photo.jpg&type=image/jpeg}). A body over the store's
     * limit is refused with 413 and leaves nothing behind.
     */
    HttpApi.Response upload(Map<String, List<String>> query, InputStream body) {
        String problem = metadataProblem(query);
        if (problem != null) return HttpApi.error(400, HttpApi.BAD_REQUEST, problem);
        AttachmentToken t = db.store().newAttachment(body, metadata(query));
        return HttpApi.Response.of(201, HttpApi.JSON, JsonArgs.write(tokenJson(t)));
    }

    /** What is wrong with the metadata an upload's query parameters give, or null. */
    static @Nullable String metadataProblem(Map<String, List<String>> query) {
        try {
            new AttachmentToken("0".repeat(64), 0, metadata(query));
            return null;
        } catch (IllegalArgumentException e) {
            return "the query parameters (metadata): " + e.getMessage();
        }
    }

    private static Map<String, String> metadata(Map<String, List<String>> query) {
        Map<String, String> metadata = new LinkedHashMap<>();
        query.forEach((k, v) -> {
            if (!v.isEmpty()) metadata.put(k, v.get(0));
        });
        return metadata;
    }

    /** Why the key may not have the blob: the rule peers follow, a readable document here that references it. */
    private @Nullable String refusal(Permissions.Grant grant, String id) {
        if (grant.permissions().read().everything()) return null;
        if (db instanceof DefaultStarling engine) return engine.attachmentRefusal(grant, id);
        return "this API key may read only some documents, and this peer cannot tell which reference attachment " + id;
    }

    static Map<String, Object> tokenJson(AttachmentToken t) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("id", t.id());
        inner.put("len", t.len());
        inner.put("metadata", t.metadata());
        return Map.of("_attachment", inner);
    }

    /** The blob, fetched from peers first if needed ({@code ?len=N} names its length then), with Range support. */
    private HttpApi.Response download(HttpApi.Request request, String id) {
        String lenText = request.parameter("len");
        long len = -1;
        if (lenText != null) {
            try {
                len = Long.parseLong(lenText);
                if (len < 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                return HttpApi.error(
                        400,
                        HttpApi.BAD_REQUEST,
                        "the query parameter 'len' must be a length in bytes, got '" + lenText + "'");
            }
        }
        Attachment a = fetch(id, len);
        if (a == null) {
            return HttpApi.error(
                    404,
                    HttpApi.NOT_FOUND,
                    "attachment " + id + " is not held here; add ?len=<its length> to fetch it from the peers");
        }
        long total = a.token().len();
        long from = 0;
        long to = total - 1;
        int status = 200;
        String range = request.header("range");
        if (range != null) {
            long[] r = parseRange(range, total);
            if (r == null) {
                return HttpApi.error(
                                416,
                                "http/range-not-satisfiable",
                                "the range '" + range + "' is not within the " + total
                                        + " bytes of the attachment (one range: bytes=a-b, bytes=a- or bytes=-n)")
                        .withHeader("Content-Range", "bytes */" + total);
            }
            from = r[0];
            to = r[1];
            status = 206;
        }
        long count = Math.max(0, to - from + 1);
        if (count > MAX_RESPONSE) {
            return HttpApi.error(
                    413,
                    HttpApi.TOO_LARGE,
                    "attachment " + id + " has " + total + " bytes; read it in ranges of at most " + MAX_RESPONSE
                            + " bytes (Range: bytes=0-" + (MAX_RESPONSE - 1) + ")");
        }
        byte[] body = new byte[(int) count];
        try (InputStream in = a.inputStream()) {
            in.skipNBytes(from);
            in.readNBytes(body, 0, body.length);
        } catch (IOException e) {
            throw new StarlingException(ErrorCode.STORE_IO, "cannot read attachment " + id + ": " + e.getMessage(), e);
        }
        HttpApi.Response res = new HttpApi.Response(status, "application/octet-stream", body, Map.of())
                .withHeader("Accept-Ranges", "bytes");
        if (status == 206) res = res.withHeader("Content-Range", "bytes " + from + "-" + to + "/" + total);
        return res;
    }

    private @Nullable Attachment fetch(String id, long len) {
        CompletableFuture<Attachment> done = new CompletableFuture<>();
        AttachmentFetchListener listener = new AttachmentFetchListener() {
            @Override
            public void completed(Attachment attachment) {
                done.complete(attachment);
            }

            @Override
            public void failed(ErrorCode code, String reason) {
                done.completeExceptionally(new StarlingException(code, reason));
            }
        };
        // a blob held here completes at once whatever length we name; only a fetch from peers needs the real one
        AttachmentToken probe = new AttachmentToken(id, Math.max(0, len), Map.of());
        var fetcher = db.store().fetchAttachment(probe, listener);
        try {
            if (len < 0) {
                Attachment a = done.get(10, TimeUnit.SECONDS);
                return a;
            }
            return done.get(db.config().attachmentFetchTimeout().toMillis() * 4, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (len < 0) return null;
            if (e.getCause() instanceof StarlingException s) {
                throw new StarlingException(s.errorCode(), "cannot fetch attachment " + id + ": " + s.getMessage(), s);
            }
            throw new StarlingException(ErrorCode.INTERNAL, String.valueOf(e.getCause()), e);
        } catch (TimeoutException e) {
            fetcher.cancel();
            if (len < 0) return null;
            throw new StarlingException(
                    ErrorCode.ATTACHMENT_UNAVAILABLE, "attachment " + id + " did not arrive in time", e);
        } catch (InterruptedException e) {
            fetcher.cancel();
            Thread.currentThread().interrupt();
            throw new StarlingException(ErrorCode.INTERNAL, "interrupted", e);
        }
    }

    /** {@code [from, to]} (inclusive) of one byte range, or null when it is malformed or not satisfiable. */
    static long @Nullable [] parseRange(String header, long total) {
        String h = header.trim();
        if (!h.startsWith("bytes=") || h.contains(",")) return null;
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            long from;
            long to;
            if (a.isEmpty()) {
                long n = Long.parseLong(b);
                if (n <= 0) return null;
                from = Math.max(0, total - n);
                to = total - 1;
            } else {
                from = Long.parseLong(a);
                to = b.isEmpty() ? total - 1 : Math.min(Long.parseLong(b), total - 1);
            }
            if (from < 0 || from >= total || to < from) return null;
            return new long[] {from, to};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static HttpApi.Response notAllowed(String allowed) {
        return HttpApi.error(405, HttpApi.METHOD_NOT_ALLOWED, "use " + allowed).withHeader("Allow", allowed);
    }
}
