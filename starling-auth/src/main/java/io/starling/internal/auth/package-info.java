/**
 * Online identity (docs/AUTH.md): the app's authority key and trust anchor ({@link io.starling.internal.auth.Authority}),
 * the device certificates it issues and their verification ({@link io.starling.internal.auth.DeviceCertificates},
 * {@link io.starling.internal.auth.VerifiedIdentity}), the login providers of an auth-config file
 * ({@link io.starling.internal.auth.AuthConfig}) and the login itself ({@link io.starling.internal.auth.LoginService}).
 * Every failure is an {@link io.starling.internal.auth.AuthException} with a stable code.
 *
 * <p>Not pure: it reads key files and calls webhooks. Keys and signatures come from the platform's JCA providers
 * (no provider is registered); BouncyCastle builds and parses certificates and PEM.
 */
@NullMarked
package io.starling.internal.auth;

import org.jspecify.annotations.NullMarked;
