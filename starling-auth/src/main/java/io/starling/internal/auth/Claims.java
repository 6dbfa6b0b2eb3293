package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.InvalidPermissionsException;
import io.starling.internal.query.Permissions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What a device certificate says about its holder besides its key and expiry: the user id, the permission set and
 * the metadata. Carried in the certificate as one JSON object ({@link #toJson}); the limits here hold both when a
 * certificate is issued and when one is read, so that nothing is issued that a peer would refuse to read back.
 */
record Claims(String userId, Permissions permissions, Value.Obj metadata) {
    /** Version of the claims object; a reader refuses any other. */
    static final int VERSION = 1;
    /** A user id: 1 to 256 bytes of UTF-8, no control characters. */
    static final int MAX_USER_ID_BYTES = 256;
    /** Metadata: an object whose JSON text is at most 4 KiB, nested at most 8 levels. */
    static final int MAX_METADATA_BYTES = 4096;

    static final int MAX_METADATA_DEPTH = 8;
    /** The whole claims object in a certificate. */
    static final int MAX_CLAIMS_BYTES = 64 * 1024;

    /**
     * Checks each part.
     *
     * @throws IllegalArgumentException naming the part and the limit it breaks
     */
    Claims {
        String problem = userIdProblem(userId);
        if (problem != null) throw new IllegalArgumentException("userId " + problem);
        checkMetadata("metadata", metadata);
    }

    /** Why {@code userId} is not a user id, or null. */
    static @Nullable String userIdProblem(String userId) {
        if (userId.isEmpty()) return "is empty";
        if (userId.getBytes(StandardCharsets.UTF_8).length > MAX_USER_ID_BYTES) {
            return "is longer than " + MAX_USER_ID_BYTES + " bytes";
        }
        for (int i = 0; i < userId.length(); i++) {
            char c = userId.charAt(i);
            if (Character.isISOControl(c)) return "contains a control character (at " + i + ")";
            if (Character.isSurrogate(c)) {
                boolean paired = Character.isHighSurrogate(c)
                        && i + 1 < userId.length()
                        && Character.isLowSurrogate(userId.charAt(i + 1));
                if (!paired) return "is not valid Unicode (a lone surrogate at " + i + ")";
                i++;
            }
        }
        return null;
    }

    /**
     * Checks metadata: an object, at most {@link #MAX_METADATA_DEPTH} levels, at most {@link #MAX_METADATA_BYTES} of
     * JSON text, only JSON types.
     *
     * @throws IllegalArgumentException starting with {@code where}
     */
    static Value.Obj checkMetadata(String where, Value metadata) {
        if (!(metadata instanceof Value.Obj obj)) {
            throw new IllegalArgumentException(where + " must be an object, not " + AuthJson.kind(metadata));
        }
        checkDepth(where, obj, 1);
        int bytes = AuthJson.write(obj).getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_METADATA_BYTES) {
            throw new IllegalArgumentException(
                    where + " is " + bytes + " bytes of JSON; the limit is " + MAX_METADATA_BYTES);
        }
        return obj;
    }

    private static void checkDepth(String where, Value v, int level) {
        if (v instanceof Value.Bin) throw new IllegalArgumentException(where + " holds binary data; only JSON types");
        if (!(v instanceof Value.Obj) && !(v instanceof Value.Arr)) return;
        if (level > MAX_METADATA_DEPTH) {
            throw new IllegalArgumentException(where + " is nested more than " + MAX_METADATA_DEPTH + " levels deep");
        }
        if (v instanceof Value.Obj o) for (Value f : o.fields().values()) checkDepth(where, f, level + 1);
        if (v instanceof Value.Arr a) for (Value i : a.items()) checkDepth(where, i, level + 1);
    }

    /** The claims object: {@code {"v":1,"userId":…,"permissions":{canonical},"metadata":{…}}}, UTF-8. */
    byte[] toJson() {
        LinkedHashMap<String, Value> o = new LinkedHashMap<>();
        o.put("v", Value.of(VERSION));
        o.put("userId", Value.of(userId));
        o.put("permissions", permissions.toValue());
        o.put("metadata", metadata);
        byte[] json = AuthJson.write(Value.Obj.ofOwned(o)).getBytes(StandardCharsets.UTF_8);
        if (json.length > MAX_CLAIMS_BYTES) {
            throw new IllegalArgumentException("the claims (user id, permissions and metadata) are " + json.length
                    + " bytes of JSON; a certificate carries at most " + MAX_CLAIMS_BYTES);
        }
        return json;
    }

    /**
     * Reads a claims object back, checking everything.
     *
     * @throws IllegalArgumentException saying which member is wrong
     */
    static Claims fromJson(byte[] json) {
        if (json.length > MAX_CLAIMS_BYTES) {
            throw new IllegalArgumentException(
                    "the claims are " + json.length + " bytes; the limit is " + MAX_CLAIMS_BYTES);
        }
        Value v = AuthJson.parse(json);
        if (!(v instanceof Value.Obj o)) throw new IllegalArgumentException("the claims are not a JSON object");
        for (String k : o.fields().keySet()) {
            if (!k.equals("v") && !k.equals("userId") && !k.equals("permissions") && !k.equals("metadata")) {
                throw new IllegalArgumentException("the claims have an unknown member \"" + k + "\"");
            }
        }
        if (!(o.get("v") instanceof Value.Int version) || version.value() != VERSION) {
            throw new IllegalArgumentException("the claims are not version " + VERSION);
        }
        if (!(o.get("userId") instanceof Value.Str userId)) {
            throw new IllegalArgumentException("the claims have no userId string");
        }
        Value perms = o.get("permissions");
        if (perms.isAbsent()) throw new IllegalArgumentException("the claims have no permissions");
        Permissions permissions;
        try {
            permissions = Permissions.parse(perms);
        } catch (InvalidPermissionsException e) {
            throw new IllegalArgumentException(ProviderGrant.permissionsProblem("claims", e), e);
        }
        Value metadata = o.get("metadata");
        return new Claims(userId.value(), permissions, checkMetadata("metadata", metadata));
    }
}
