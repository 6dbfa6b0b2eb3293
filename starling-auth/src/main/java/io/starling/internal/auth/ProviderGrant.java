package io.starling.internal.auth;

import io.starling.internal.core.Value;
import io.starling.internal.query.InvalidPermissionsException;
import io.starling.internal.query.Permissions;
import java.time.Duration;
import java.util.Set;

/**
 * What a provider grants a token: the user id, the permissions, the metadata, and how long the certificate is
 * valid. Read from a static provider's token entry ({@code userId}) or a webhook's answer (whose member is spelled "userID").
 */
record ProviderGrant(String userId, Permissions permissions, Value.Obj metadata, Duration validity) {

    /**
     * Reads a grant.
     *
     * @param where names the object in messages ({@code providers.dev.tokens[2]}, {@code the webhook's answer})
     * @param userIdMember {@code userId} or {@code userID}
     * @param allowed the members the object may have
     * @throws IllegalArgumentException starting with {@code where}, saying which member is wrong
     */
    static ProviderGrant parse(String where, Value.Obj o, String userIdMember, Set<String> allowed) {
        for (String k : o.fields().keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException(where + " has an unknown member \"" + k + "\" (expected "
                        + String.join(", ", allowed.stream().sorted().toList()) + ")");
            }
        }
        if (!(o.get(userIdMember) instanceof Value.Str userId)) {
            throw new IllegalArgumentException(where + "." + userIdMember + " must be a string");
        }
        String problem = Claims.userIdProblem(userId.value());
        if (problem != null) throw new IllegalArgumentException(where + "." + userIdMember + " " + problem);
        Value seconds = o.get("expirationSeconds");
        long max = Authority.MAX_VALIDITY.toSeconds();
        if (!(seconds instanceof Value.Int s) || s.value() < 1 || s.value() > max) {
            throw new IllegalArgumentException(
                    where + ".expirationSeconds must be a whole number of seconds from 1 to " + max);
        }
        Value perms = o.get("permissions");
        if (perms.isAbsent()) throw new IllegalArgumentException(where + ".permissions is missing");
        Permissions permissions;
        try {
            permissions = Permissions.parse(perms);
        } catch (InvalidPermissionsException e) {
            throw new IllegalArgumentException(permissionsProblem(where, e), e);
        }
        Value metadata = o.get("metadata");
        Value.Obj meta = metadata.isAbsent() ? Value.Obj.EMPTY : Claims.checkMetadata(where + ".metadata", metadata);
        return new ProviderGrant(userId.value(), permissions, meta, Duration.ofSeconds(s.value()));
    }

    /** {@code where.permissions.read.everything: must be true or false}. */
    static String permissionsProblem(String where, InvalidPermissionsException e) {
        String message = String.valueOf(e.getMessage());
        return where + (e.member().startsWith("permissions") ? "." : ".permissions.") + message;
    }
}
