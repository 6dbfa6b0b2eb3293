package io.starling.internal.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.auth.Authority;
import io.starling.internal.auth.RevocationList;
import io.starling.internal.sync.Message;
import io.starling.internal.sync.RevocationVerifier;
import io.starling.internal.sync.VerifiedRevocations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's side of revocation lists with real signatures: the verifier the sessions ask (another authority's,
 * forged, damaged and renumbered lists refused), the list stored whole in the database directory and read back at
 * start, and the authority picking up the list {@code starling authority revoke} writes.
 */
class PeerRevocationsTest {
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");

    @TempDir
    Path tmp;

    @Test
    void theVerifierAcceptsOnlyTheAuthoritysListUnderItsOwnNumber() throws IOException {
        Authority ours = Authority.init(tmp.resolve("ours"), NOW);
        Authority theirs = Authority.init(tmp.resolve("theirs"), NOW);
        Files.createDirectories(tmp.resolve("db"));
        PeerRevocations r = PeerRevocations.load(ours.anchor(), tmp.resolve("db"), null);
        byte[] one = RevocationList.empty().revokeUser("bob", ours, NOW).encoded();

        RevocationVerifier.Verdict ok = r.verify(1, one);
        assertThat(ok.list()).isNotNull();
        assertThat(ok.list().users()).containsExactly("bob");
        assertThat(r.verify(2, one).problem()).isEqualTo("the revocation list is number 1 but was sent as number 2");
        assertThat(r.verify(
                                1,
                                RevocationList.empty()
                                        .revokeUser("bob", theirs, NOW)
                                        .encoded())
                        .problem())
                .startsWith("auth/revocation-list-invalid: the revocation list comes from another authority");
        byte[] forged = one.clone();
        forged[forged.length - 90] ^= 1; // inside the signed part: a changed user name or count
        assertThat(forged.length).isGreaterThan(90);
        assertThat(r.verify(1, forged).problem()).startsWith("auth/revocation-list-invalid");
        assertThat(r.verify(1, new byte[] {1, 2, 3}).problem())
                .isEqualTo("auth/revocation-list-invalid: the revocation list is not a Starling revocation list");
        assertThat(RevocationList.MAX_ENCODED_BYTES)
                .as("the message carries the largest list an authority signs")
                .isEqualTo(Message.Revocations.MAX_BYTES);
    }

    @Test
    void anAdoptedListIsStoredAndReadBackAtStart() throws IOException {
        Authority auth = Authority.init(tmp.resolve("auth"), NOW);
        Path db = Files.createDirectories(tmp.resolve("db"));
        PeerRevocations r = PeerRevocations.load(auth.anchor(), db, null);
        List<Long> told = new ArrayList<>();
        r.addListener(list -> told.add(list.serial()));
        RevocationList two =
                RevocationList.empty().revokeUser("bob", auth, NOW).revokeDevice("ab".repeat(32), auth, NOW);
        VerifiedRevocations v = r.verify(2, two.encoded()).list();
        assertThat(r.state().adopt(v)).isTrue();
        assertThat(r.state().adopt(v)).as("the same list again").isFalse();
        assertThat(told).containsExactly(2L);
        assertThat(RevocationList.load(db.resolve(RevocationList.FILE), auth.anchor())
                        .serial())
                .isEqualTo(2);
        assertThat(db.resolve(RevocationList.FILE + ".tmp")).doesNotExist();
        assertThat(r.why("bob", "00".repeat(32))).isEqualTo("user 'bob' is revoked by revocation list 2");
        assertThat(r.why("alice", "ab".repeat(32))).startsWith("device abababababababab… of user 'alice' is revoked");
        assertThat(r.why("alice", "00".repeat(32))).isNull();

        PeerRevocations again = PeerRevocations.load(auth.anchor(), db, null);
        assertThat(again.current().serial()).isEqualTo(2);
        assertThat(again.current().users()).containsExactly("bob");

        // a damaged stored list is reported and ignored: the peer starts with none and takes the next one it is sent
        Files.write(db.resolve(RevocationList.FILE), new byte[] {1});
        assertThat(PeerRevocations.load(auth.anchor(), db, null).current().serial())
                .isZero();
    }

    @Test
    void theAuthorityPicksUpTheListItsCommandWrites() throws IOException {
        Path authDir = tmp.resolve("auth");
        Authority auth = Authority.init(authDir, NOW);
        Path db = Files.createDirectories(tmp.resolve("db"));
        Path file = authDir.resolve(RevocationList.FILE);
        PeerRevocations r = PeerRevocations.load(auth.anchor(), db, authDir);
        assertThat(r.current().serial()).isZero();
        r.pollAuthorityFile();
        assertThat(r.current().serial()).as("no list issued yet").isZero();

        RevocationList.empty().revokeUser("bob", auth, NOW).save(file); // `starling authority revoke DIR --user bob`
        r.pollAuthorityFile();
        assertThat(r.current().serial()).isEqualTo(1);
        assertThat(RevocationList.load(db.resolve(RevocationList.FILE), auth.anchor())
                        .serial())
                .as("stored in the peer's own directory too")
                .isEqualTo(1);

        RevocationList.load(file, auth.anchor()).revokeUser("carol", auth, NOW).save(file);
        r.pollAuthorityFile();
        assertThat(r.current().users()).containsExactly("bob", "carol");

        // a list another authority made, dropped into the directory, is not used
        Authority other = Authority.init(tmp.resolve("other"), NOW);
        RevocationList.empty()
                .revokeUser("x", other, NOW)
                .revokeUser("y", other, NOW)
                .revokeUser("z", other, NOW)
                .save(file);
        r.pollAuthorityFile();
        assertThat(r.current().serial()).isEqualTo(2);
    }
}
