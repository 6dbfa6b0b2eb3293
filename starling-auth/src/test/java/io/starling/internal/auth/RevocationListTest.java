package io.starling.internal.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import io.starling.internal.query.Permissions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The signed revocation list: what it revokes, that it reads back only as signed, and every way it is refused. */
class RevocationListTest {
    private static final Instant NOW = Instant.parse("2026-12-05T10:00:00Z");
    private static final String DEVICE = "ab".repeat(32);

    @TempDir
    Path dir;

    private Authority authority(String name) {
        return Authority.init(dir.resolve(name), NOW);
    }

    private static VerifiedIdentity identity(String user, String device) {
        return new VerifiedIdentity(user, Permissions.nothing(), Value.Obj.EMPTY, NOW.plusSeconds(3600), device, 1);
    }

    @Test
    void revokingAUserOrADeviceMakesTheNextSignedListThatReadsBackTheSame() {
        Authority a = authority("a");
        RevocationList empty = RevocationList.empty();
        assertThat(empty.serial()).isZero();
        assertThat(empty.revokes(identity("bob", DEVICE))).isFalse();

        RevocationList one = empty.revokeUser("bob", a, NOW);
        RevocationList two = one.revokeDevice(
                DEVICE.toUpperCase(java.util.Locale.ROOT).replaceAll("(..)(?!$)", "$1:"), a, NOW.plusSeconds(1));
        assertThat(one.serial()).isEqualTo(1);
        assertThat(two.serial()).isEqualTo(2);
        assertThat(two.newerThan(one)).isTrue();
        assertThat(one.newerThan(two)).isFalse();
        assertThat(two.users()).containsExactly("bob");
        assertThat(two.devices()).containsExactly(DEVICE);
        assertThat(two.revokes(identity("bob", "cd".repeat(32)))).as("by user").isTrue();
        assertThat(two.revokes(identity("alice", DEVICE))).as("by device").isTrue();
        assertThat(two.revokes(identity("alice", "cd".repeat(32)))).isFalse();
        assertThat(one.revokes(identity("alice", DEVICE)))
                .as("the older list did not revoke it")
                .isFalse();

        RevocationList back = RevocationList.decode(two.encoded(), a.anchor());
        assertThat(back.serial()).isEqualTo(2);
        assertThat(back.issuedAt()).isEqualTo(NOW.plusSeconds(1));
        assertThat(back.users()).isEqualTo(two.users());
        assertThat(back.devices()).isEqualTo(two.devices());
        assertThat(back.encoded()).isEqualTo(two.encoded());
    }

    @Test
    void aListFromAnotherAuthorityOrWithABadSignatureIsRefusedWhole() {
        Authority a = authority("a"), other = authority("other");
        byte[] ours = RevocationList.empty().revokeUser("bob", a, NOW).encoded();
        byte[] theirs = RevocationList.empty().revokeUser("bob", other, NOW).encoded();
        assertThatThrownBy(() -> RevocationList.decode(theirs, a.anchor()))
                .isInstanceOfSatisfying(
                        AuthException.class,
                        e -> assertThat(e.code()).isEqualTo(AuthException.Code.REVOCATION_LIST_INVALID))
                .hasMessageContaining("comes from another authority")
                .hasMessageContaining(a.fingerprint());

        // the other authority's list relabelled as ours: the signature gives it away
        byte[] relabelled = theirs.clone();
        System.arraycopy(HexFormat.of().parseHex(a.fingerprint()), 0, relabelled, 4, 32);
        assertThatThrownBy(() -> RevocationList.decode(relabelled, a.anchor()))
                .hasMessageContaining("signature that does not verify");

        // every single byte of the signed part changed: refused (the user, the serial, the counts)
        for (int i = 36; i < ours.length - 75; i++) {
            byte[] b = ours.clone();
            b[i] ^= 0x01;
            int at = i;
            assertThatThrownBy(() -> RevocationList.decode(b, a.anchor()))
                    .as("byte %d changed", at)
                    .isInstanceOf(AuthException.class);
        }
    }

    @Test
    void malformedListsSayWhatIsWrong() {
        Authority a = authority("a");
        byte[] ok = RevocationList.empty().revokeUser("bob", a, NOW).encoded();
        assertThatThrownBy(() -> RevocationList.decode("not a list".getBytes(StandardCharsets.UTF_8), a.anchor()))
                .hasMessageContaining("is not a Starling revocation list");
        assertThatThrownBy(() -> RevocationList.decode(java.util.Arrays.copyOf(ok, ok.length - 3), a.anchor()))
                .hasMessageContaining("is cut short");
        assertThatThrownBy(() -> RevocationList.decode(java.util.Arrays.copyOf(ok, ok.length + 1), a.anchor()))
                .hasMessageContaining("1 bytes after its signature");
        assertThatThrownBy(() -> RevocationList.decode(new byte[RevocationList.MAX_ENCODED_BYTES + 1], a.anchor()))
                .hasMessageContaining("at most " + RevocationList.MAX_ENCODED_BYTES);
        assertThatThrownBy(() -> RevocationList.decode(RevocationList.empty().encoded(), a.anchor()))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aSignedListThatIsNotCanonicalOrPastTheLimitsIsRefused() throws Exception {
        Authority a = authority("a");
        assertThatThrownBy(() -> decode(a, 1, List.of("zed", "amy"), List.of()))
                .hasMessageContaining("lists its users out of order");
        assertThatThrownBy(() -> decode(a, 1, List.of("amy", "amy"), List.of()))
                .hasMessageContaining("lists its users out of order");
        assertThatThrownBy(() -> decode(a, 1, List.of(), List.of("ff".repeat(32), "00".repeat(32))))
                .hasMessageContaining("lists its devices out of order");
        assertThatThrownBy(() -> decode(a, 0, List.of("amy"), List.of())).hasMessageContaining("has serial 0");
        assertThatThrownBy(() -> decode(a, 1, List.of("a\u0007b"), List.of()))
                .hasMessageContaining("revokes user 0, whose id contains a control character");
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= RevocationList.MAX_ENTRIES; i++) many.add(String.format("u%05d", i));
        assertThatThrownBy(() -> decode(a, 1, many, List.of()))
                .hasMessageContaining("holds more than " + RevocationList.MAX_ENTRIES);
        assertThat(decode(a, 7, List.of("amy", "zed"), List.of("00".repeat(32))).serial())
                .isEqualTo(7);
    }

    @Test
    void theAuthorityRefusesToMakeAListItCouldNotReadBack() {
        Authority a = authority("a");
        List<String> big = new ArrayList<>();
        for (int i = 0; i < 2100; i++) big.add(String.format("%05d", i) + "u".repeat(245)); // 250 bytes each
        assertThatThrownBy(() -> RevocationList.empty().revokeUsers(big, a, NOW))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("would pass " + RevocationList.MAX_ENCODED_BYTES + " bytes");
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= RevocationList.MAX_ENTRIES; i++) many.add("u" + i);
        assertThatThrownBy(() -> RevocationList.empty().revokeUsers(many, a, NOW))
                .hasMessageContaining("more than " + RevocationList.MAX_ENTRIES + " users and devices");
        RevocationList most = RevocationList.empty().revokeUsers(many.subList(0, RevocationList.MAX_ENTRIES), a, NOW);
        assertThat(RevocationList.decode(most.encoded(), a.anchor()).users()).hasSize(RevocationList.MAX_ENTRIES);
        assertThatThrownBy(() -> RevocationList.empty().revokeUser("", a, NOW)).hasMessage("user id is empty");
        assertThatThrownBy(() -> RevocationList.empty().revokeDevice("abc", a, NOW))
                .hasMessageContaining("a device fingerprint is 64 hex digits")
                .hasMessageContaining("\"abc\"");
    }

    @Test
    void savedListsLoadBackAndAMissingFileIsTheEmptyList() throws Exception {
        Authority a = authority("a");
        Path file = dir.resolve(RevocationList.FILE);
        assertThat(RevocationList.load(file, a.anchor()).serial()).isZero();
        RevocationList one = RevocationList.empty().revokeUser("bob", a, NOW);
        one.save(file);
        one.revokeUser("carol", a, NOW).save(file);
        RevocationList loaded = RevocationList.load(file, a.anchor());
        assertThat(loaded.serial()).isEqualTo(2);
        assertThat(loaded.users()).containsExactly("bob", "carol");
        assertThat(dir.resolve(RevocationList.FILE + ".tmp")).doesNotExist();

        Files.write(file, new byte[] {1, 2, 3});
        assertThatThrownBy(() -> RevocationList.load(file, a.anchor()))
                .hasMessageStartingWith(file + ": the revocation list is not a Starling revocation list");
    }

    /** A list signed by {@code a} with exactly these entries, in this order: what a buggy or hostile signer makes. */
    private static RevocationList decode(Authority a, long serial, List<String> users, List<String> devices)
            throws Exception {
        ByteBuffer b = ByteBuffer.allocate(1 << 20);
        b.put(new byte[] {'S', 'R', 'L', '1'}).put(HexFormat.of().parseHex(a.fingerprint()));
        b.putLong(serial).putLong(NOW.toEpochMilli()).putInt(users.size());
        for (String u : users) {
            byte[] x = u.getBytes(StandardCharsets.UTF_8);
            b.putShort((short) x.length).put(x);
        }
        b.putInt(devices.size());
        for (String d : devices) b.put(HexFormat.of().parseHex(d));
        Signature s = Signature.getInstance(Authority.SIGNATURE_ALGORITHM);
        s.initSign(a.key());
        s.update(b.array(), 0, b.position());
        byte[] sig = s.sign();
        b.putShort((short) sig.length).put(sig);
        return RevocationList.decode(java.util.Arrays.copyOf(b.array(), b.position()), a.anchor());
    }
}
