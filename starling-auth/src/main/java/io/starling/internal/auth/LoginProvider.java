package io.starling.internal.auth;

/** One named login provider of an auth-config file: it turns a token into a grant, or says why not. */
sealed interface LoginProvider permits StaticProvider, WebhookProvider, JwtProvider {
    /** The provider's name in the config file ({@code "dev"}). */
    String name();

    /** The provider's type: {@code static}, {@code webhook}, {@code jwt}. */
    String type();

    /**
     * Checks {@code token}.
     *
     * @throws AuthException {@code BAD_TOKEN}, {@code DENIED}, {@code PROVIDER_UNAVAILABLE} or {@code
     *     PROVIDER_BAD_ANSWER}, with a message that quotes neither the token nor any secret
     */
    ProviderGrant authenticate(String appId, String token);
}
