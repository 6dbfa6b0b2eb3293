package io.starling.internal.auth;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * A fixed map of tokens to grants, from the config file: for tests and small deployments. Tokens are kept only as
 * their SHA-256, so the process holds no token it could leak. Immutable.
 */
record StaticProvider(String name, Map<String, ProviderGrant> grantsByTokenHash) implements LoginProvider {
    StaticProvider {
        grantsByTokenHash = Map.copyOf(grantsByTokenHash);
    }

    static String hash(String token) {
        return Pem.sha256(token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String type() {
        return "static";
    }

    @Override
    public ProviderGrant authenticate(String appId, String token) {
        ProviderGrant grant = grantsByTokenHash.get(hash(token));
        if (grant == null) {
            throw new AuthException(AuthException.Code.BAD_TOKEN, "provider \"" + name + "\" does not know this token");
        }
        return grant;
    }
}
