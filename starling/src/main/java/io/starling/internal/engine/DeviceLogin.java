package io.starling.internal.engine;

import io.starling.ErrorCode;
import io.starling.Identity;
import io.starling.StarlingException;
import io.starling.Sync;
import io.starling.internal.auth.AuthException;
import io.starling.internal.auth.Authority;
import io.starling.internal.auth.DeviceCertificates;
import io.starling.internal.auth.DeviceCredentials;
import io.starling.internal.auth.LoginClient;
import io.starling.internal.auth.VerifiedIdentity;
import io.starling.internal.core.Value;
import io.starling.internal.net.DeviceTls;
import io.starling.internal.net.RemoteIdentity;
import io.starling.internal.query.Permissions;
import java.net.URI;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/*
 * Design note — the device's side of the online identity mode.
 *
 * The device's key pair and certificate live in the database directory (DeviceCredentials: device.key, mode 600, and
 * device.pem). Every certificate the device asks for names the peer id of its store, which peers compare with the id
 * its HELLO claims. At open: a stored certificate that verifies against the trust anchor now and names this store's
 * peer id (or, issued before certificates named peer ids, none: it is used until its renewal) is used as it is (no
 * network); otherwise the device logs in once, synchronously, keeping its key pair if it has one. A failed login does not fail
 * the open: the store works offline, the status says why (NOT_LOGGED_IN or EXPIRED with the problem) and the login is
 * retried with backoff on this class's own thread.
 *
 * With a certificate, a check every second (on the clock given, not on timers set in advance, so that a machine that
 * slept or a clock that jumped is seen at once, and tests can drive a fake clock) does what is due: renewal at two
 * thirds of its validity (the expiration handler may give a fresh token), retries with backoff while logins fail,
 * and expiry — when it comes without a successful renewal, the status turns EXPIRED, every session is closed and the
 * transport neither dials nor accepts (deviceTls() answers null) until a login succeeds. Everything runs on one
 * thread, so state changes never overlap.
 */

/** Logs the device in, keeps and renews its certificate, and verifies the certificates of remotes. Thread-safe. */
final class DeviceLogin implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeviceLogin.class);
    static final Duration LOGIN_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MIN_RETRY = Duration.ofSeconds(2);
    static final Duration MAX_RETRY = Duration.ofMinutes(5);
    static final Duration CHECK_EVERY = Duration.ofSeconds(1);
    /** How long the certificate the authority issues itself is valid (it reissues at two thirds, as a device renews). */
    static final Duration SELF_VALIDITY = Duration.ofDays(30);

    private final Path dir;
    private final long peerId; // the store's, which every certificate asked for names
    private final @Nullable URI authority; // null for the authority itself
    private final @Nullable String provider;
    private final @Nullable Authority self; // the authority itself: it issues its own certificate
    private final X509Certificate anchor;
    private final Clock clock;
    private final Runnable onExpired;
    private final Consumer<String> onRevoked;
    private final PeerRevocations revocations;
    private final Object revokedLock = new Object(); // turns the status REVOKED once
    private final ScheduledExecutorService thread;
    /** Device keys whose certificate without a peer id was reported (each once). */
    private final java.util.Set<String> warnedNoPeerId = new java.util.HashSet<>();

    static final int NO_PEER_ID_WARNINGS = 10_000;

    private volatile String token;
    private volatile Sync.@Nullable ExpirationHandler handler;
    private volatile @Nullable DeviceCredentials credentials; // the latest, valid or not
    private volatile @Nullable VerifiedIdentity identity; // what the latest valid credentials say
    private volatile Sync.DeviceStatus status;
    private volatile @Nullable DeviceTls tls; // cached for credentials
    private int failures; // login thread only
    private volatile @Nullable Instant nextLogin; // when to renew or retry, or null
    private volatile boolean closed;

    private DeviceLogin(
            Path dir,
            long peerId,
            Identity identity,
            @Nullable Authority self,
            X509Certificate anchor,
            Clock clock,
            Runnable onExpired,
            Consumer<String> onRevoked,
            PeerRevocations revocations) {
        this.dir = dir;
        this.peerId = peerId;
        this.onRevoked = onRevoked;
        this.revocations = revocations;
        this.self = self;
        this.authority = identity.authority();
        this.provider = identity.provider();
        String given = identity.token();
        this.token = given == null ? "" : given;
        this.anchor = anchor;
        this.clock = clock;
        this.onExpired = onExpired;
        this.status = new Sync.DeviceStatus(Sync.DeviceState.NOT_LOGGED_IN, null, null, null, null);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "starling-login");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Reads the trust anchor and the stored credentials, and logs in when they are missing or no longer valid (a
     * failed login is reported by the status, not thrown).
     *
     * @param onExpired called (on the login thread) when the certificate expired without a renewal: stop syncing
     * @throws StarlingException {@code CONFIG_INVALID} naming the file when the trust anchor or the stored credentials
     *     cannot be read
     */
    static DeviceLogin start(Path dir, long peerId, Identity identity, Clock clock, Runnable onExpired) {
        return start(dir, peerId, identity, clock, onExpired, why -> {}, CHECK_EVERY);
    }

    /** {@link #start(Path, long, Identity, Clock, Runnable)} checking what is due every {@code checkEvery} (tests). */
    static DeviceLogin start(
            Path dir, long peerId, Identity identity, Clock clock, Runnable onExpired, Duration checkEvery) {
        return start(dir, peerId, identity, clock, onExpired, why -> {}, checkEvery);
    }

    /**
     * As above; {@code onRevoked} is called (with why) when the peer's revocation list revokes this device — at start,
     * or when a list is adopted: stop syncing.
     */
    static DeviceLogin start(
            Path dir,
            long peerId,
            Identity identity,
            Clock clock,
            Runnable onExpired,
            Consumer<String> onRevoked,
            Duration checkEvery) {
        X509Certificate anchor;
        DeviceCredentials stored;
        Authority self = null;
        try {
            Path authorityDirectory = identity.authorityDirectory();
            if (authorityDirectory != null) {
                self = Authority.load(authorityDirectory);
                anchor = self.anchor();
            } else {
                anchor = Authority.readAnchor(Objects.requireNonNull(identity.trustAnchor()));
            }
            stored = DeviceCredentials.load(dir);
        } catch (AuthException e) {
            throw new StarlingException(ErrorCode.CONFIG_INVALID, String.valueOf(e.getMessage()), e);
        }
        PeerRevocations revocations = PeerRevocations.load(anchor, dir, identity.authorityDirectory());
        DeviceLogin login =
                new DeviceLogin(dir, peerId, identity, self, anchor, clock, onExpired, onRevoked, revocations);
        revocations.addListener(list -> login.checkRevoked());
        login.begin(stored);
        long every = Math.max(1, checkEvery.toMillis());
        try {
            ScheduledFuture<?> unused =
                    login.thread.scheduleWithFixedDelay(login::check, every, every, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile
        }
        return login;
    }

    private void begin(@Nullable DeviceCredentials stored) {
        if (stored != null) {
            try {
                VerifiedIdentity id = stored.identity(anchor, clock.instant());
                if (id.peerId() != 0 && id.peerId() != peerId) {
                    throw new AuthException(
                            AuthException.Code.CERTIFICATE_MALFORMED,
                            "it names peer " + DeviceCertificates.peerIdText(id.peerId()) + " and this store is peer "
                                    + DeviceCertificates.peerIdText(peerId));
                }
                if (id.peerId() == 0) {
                    log.warn(
                            "online identity: the stored certificate names no peer id (issued before certificates named"
                                    + " peer ids); it is used until its renewal at {}, which asks for one",
                            stored.renewAt());
                }
                if (clock.instant().isBefore(stored.expiresAt())) {
                    use(stored, id);
                    log.info(
                            "online identity: user {} with the stored certificate of {} (device key {}), valid until {}",
                            id.userId(),
                            dir,
                            id.deviceKeyFingerprint().substring(0, 16),
                            stored.expiresAt());
                    nextLogin = stored.renewAt();
                    return;
                }
            } catch (AuthException e) {
                log.info("online identity: the stored certificate is not usable ({}); logging in", e.getMessage());
            }
            credentials = stored;
            status = new Sync.DeviceStatus(Sync.DeviceState.EXPIRED, null, stored.expiresAt(), null, null);
        }
        submit(this::login);
        awaitFirstAttempt();
    }

    /** Waits for the login just submitted, so that a device that can log in syncs as soon as the instance is open. */
    private void awaitFirstAttempt() {
        try {
            thread.submit(() -> {}).get(LOGIN_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.debug("the first login is still running: {}", e.toString());
        }
    }

    /** The current status. */
    Sync.DeviceStatus status() {
        return status;
    }

    void setExpirationHandler(Sync.@Nullable ExpirationHandler handler) {
        this.handler = handler;
    }

    /** What to present in TLS now, or null when the certificate is missing or expired. */
    @Nullable
    DeviceTls deviceTls() {
        DeviceCredentials c = credentials;
        if (c == null
                || status.state() != Sync.DeviceState.VALID
                || !clock.instant().isBefore(c.expiresAt())) {
            return null;
        }
        DeviceTls t = tls;
        if (t == null || !t.certificate().equals(c.certificate())) {
            t = new DeviceTls(c.keyPair().getPrivate(), c.certificate(), anchor);
            tls = t;
        }
        return t;
    }

    /** Verifies a remote's chain against the anchor at this clock. */
    RemoteIdentity verifyRemote(List<X509Certificate> chain) throws CertificateException {
        try {
            VerifiedIdentity id = DeviceCertificates.verify(chain, anchor, clock.instant());
            String revoked = revocations.why(id.userId(), id.deviceKeyFingerprint());
            if (revoked != null) {
                throw new AuthException(AuthException.Code.CERTIFICATE_REVOKED, "the certificate's " + revoked);
            }
            X509Certificate cert = chain.get(0);
            if (id.peerId() == 0) warnNoPeerId(id);
            return new RemoteIdentity(
                    id.userId(),
                    id.permissions(),
                    id.metadata(),
                    cert.getNotBefore().toInstant(),
                    id.expiresAt(),
                    cert.getSerialNumber().toString(16),
                    cert.getIssuerX500Principal().getName(),
                    id.deviceKeyFingerprint(),
                    id.peerId());
        } catch (AuthException e) {
            throw new CertificateException(e.code().id() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A remote's certificate names no peer id (issued before certificates named peer ids): accepted until it expires,
     * but its HELLO's peer id is not checked. Said once per device key (at most {@link #NO_PEER_ID_WARNINGS} kept).
     */
    private void warnNoPeerId(VerifiedIdentity id) {
        synchronized (warnedNoPeerId) {
            if (warnedNoPeerId.size() >= NO_PEER_ID_WARNINGS || !warnedNoPeerId.add(id.deviceKeyFingerprint())) return;
        }
        log.warn(
                "online identity: the certificate of user {} (device key {}) names no peer id: it was issued before"
                        + " certificates named peer ids, so the peer id its HELLO claims is not checked; accepted until"
                        + " it expires at {} (the device's next renewal names one)",
                id.userId(),
                id.deviceKeyFingerprint().substring(0, 16),
                id.expiresAt());
    }

    // ---- on the login thread

    /** Does what is due: expiry first, then a renewal or a retry. Never throws (a periodic task that throws stops). */
    private void check() {
        try {
            if (closed) return;
            revocations.pollAuthorityFile();
            if (status.state() == Sync.DeviceState.REVOKED) return; // no renewal can help: stays revoked
            expireIfDue();
            Instant at = nextLogin;
            if (at != null && !clock.instant().isBefore(at)) renew();
        } catch (RuntimeException e) {
            log.warn("online identity: the login check failed", e);
        }
    }

    private void renew() {
        Sync.ExpirationHandler h = handler;
        if (h != null) {
            try {
                String fresh = h.renewalToken(status);
                if (fresh != null && !fresh.isEmpty()) token = fresh;
            } catch (RuntimeException e) {
                log.warn("the expiration handler failed; renewing with the last token", e);
            }
        }
        login();
    }

    private void login() {
        if (closed) return;
        DeviceCredentials current = credentials;
        KeyPair pair = current != null ? current.keyPair() : DeviceCredentials.newKeyPair();
        Instant now = clock.instant();
        try {
            DeviceCredentials fresh = self != null
                    ? new DeviceCredentials(
                            pair,
                            self.issue(
                                    pair.getPublic(),
                                    peerId,
                                    Identity.AUTHORITY_USER_ID,
                                    Permissions.everything(),
                                    Value.Obj.EMPTY,
                                    SELF_VALIDITY,
                                    now))
                    : LoginClient.login(
                            Objects.requireNonNull(authority),
                            Objects.requireNonNull(provider),
                            token,
                            peerId,
                            pair,
                            anchor,
                            now,
                            LOGIN_TIMEOUT);
            fresh.save(dir);
            VerifiedIdentity id = fresh.identity(anchor, now);
            use(fresh, id);
            failures = 0;
            log.info(
                    "online identity: logged in to {} as user {} (provider {}, device key {}, peer {}); certificate"
                            + " valid until {}, renewal at {}",
                    self != null ? "itself (the authority)" : authority,
                    id.userId(),
                    self != null ? "none" : provider,
                    id.deviceKeyFingerprint().substring(0, 16),
                    id.peerId() == 0 ? "not named" : DeviceCertificates.peerIdText(id.peerId()),
                    fresh.expiresAt(),
                    fresh.renewAt());
            nextLogin = fresh.renewAt();
        } catch (AuthException e) {
            failed(e);
        } catch (RuntimeException e) {
            failed(new AuthException(AuthException.Code.INTERNAL, e.toString(), e));
        }
    }

    private void use(DeviceCredentials c, VerifiedIdentity id) {
        credentials = c;
        identity = id;
        if (status.state() == Sync.DeviceState.REVOKED) return; // revoked for good, whatever a login says
        status = new Sync.DeviceStatus(Sync.DeviceState.VALID, id.userId(), c.expiresAt(), null, null);
        checkRevoked();
    }

    /**
     * Turns the status REVOKED, once, when the list held revokes this device's user or key: the device stops syncing
     * (no certificate is presented, every session ends) for good — a renewal would not help.
     */
    private void checkRevoked() {
        VerifiedIdentity id = identity;
        if (id == null || status.state() == Sync.DeviceState.REVOKED) return;
        // asked before taking our lock: the list's own lock is held while it tells us of an adoption, so taking the
        // two the other way round here could deadlock
        String why = revocations.why(id.userId(), id.deviceKeyFingerprint());
        if (why == null) return;
        String problem = "this device's " + why + "; it does not sync any more";
        synchronized (revokedLock) {
            if (status.state() == Sync.DeviceState.REVOKED) return;
            status = new Sync.DeviceStatus(
                    Sync.DeviceState.REVOKED,
                    id.userId(),
                    status.expiresAt(),
                    problem,
                    AuthException.Code.CERTIFICATE_REVOKED.id());
        }
        log.warn("online identity: {} (revoked by the app's authority)", problem);
        try {
            onRevoked.accept(why);
        } catch (RuntimeException e) {
            log.warn("stopping sync after this device was revoked failed", e);
        }
    }

    /** The peer's revocation list. */
    PeerRevocations revocations() {
        return revocations;
    }

    private void failed(AuthException e) {
        if (status.state() == Sync.DeviceState.REVOKED) return;
        failures++;
        DeviceCredentials c = credentials;
        Instant now = clock.instant();
        Instant expiry = c == null ? null : c.expiresAt();
        boolean valid = expiry != null && status.state() == Sync.DeviceState.VALID && now.isBefore(expiry);
        String problem = e.getMessage() == null ? e.code().id() : e.getMessage();
        Sync.DeviceState state = valid
                ? Sync.DeviceState.VALID
                : c == null || status.state() == Sync.DeviceState.NOT_LOGGED_IN
                        ? Sync.DeviceState.NOT_LOGGED_IN
                        : Sync.DeviceState.EXPIRED;
        status = new Sync.DeviceStatus(
                state, status.userId(), expiry, problem, e.code().id());
        Duration wait = retryAfter(failures);
        log.warn(
                "online identity: {} failed ({}); {}; next attempt in {} s",
                valid ? "renewing the certificate" : "logging in",
                problem,
                valid ? "the certificate stays valid until " + expiry : "this peer does not sync meanwhile",
                wait.toSeconds());
        Instant retry = now.plus(wait);
        nextLogin = valid && expiry != null && expiry.isBefore(retry) ? expiry : retry;
    }

    /** Stops sync once the certificate expired without a renewal. */
    private void expireIfDue() {
        DeviceCredentials c = credentials;
        if (c == null || status.state() != Sync.DeviceState.VALID) return;
        if (clock.instant().isBefore(c.expiresAt())) return;
        status = new Sync.DeviceStatus(
                Sync.DeviceState.EXPIRED, status.userId(), c.expiresAt(), status.problem(), status.problemCode());
        log.warn(
                "online identity: the device certificate expired at {} and was not renewed{}: sync stopped until a login"
                        + " succeeds",
                c.expiresAt(),
                status.problem() == null ? "" : " (" + status.problem() + ")");
        try {
            onExpired.run();
        } catch (RuntimeException e) {
            log.warn("stopping sync after the certificate expired failed", e);
        }
    }

    static Duration retryAfter(int failures) {
        long seconds = MIN_RETRY.toSeconds() << Math.min(failures - 1, 16);
        return seconds >= MAX_RETRY.toSeconds() ? MAX_RETRY : Duration.ofSeconds(seconds);
    }

    private void submit(Runnable task) {
        try {
            thread.execute(task);
        } catch (RejectedExecutionException closing) {
            // closed meanwhile
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(LOGIN_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS)) {
                log.warn("the login thread did not stop in time");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "DeviceLogin[%s, %s]", dir, status.state());
    }
}
