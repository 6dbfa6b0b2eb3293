package io.starling.testing.sim;

import io.starling.internal.core.Value;
import io.starling.internal.crdt.DocumentState;
import io.starling.internal.query.Permissions;
import io.starling.internal.sync.Principal;
import io.starling.internal.sync.RemoteAccess;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.jspecify.annotations.Nullable;

/**
 * A simulated peer's online identity, in runs with identities (docs/SIMULATOR.md, "Online identities"): a hub that
 * may read and write everything, a viewer that may read everything and write nothing, or a user of group {@code g}
 * who reads and writes the documents of {@code a} with {@code grp = g}, reads and writes those of {@code b} with
 * {@code n > 2} (documents move in and out of it as {@code n} changes), and only reads those of {@code c} with a
 * field {@code x}.
 *
 * <p>The role has two readings that must agree: the permission set the engine evaluates (DQL conditions, {@link
 * #permissions()}) and this class's own judgment in plain Java over the visible fields ({@link #mayRead}, {@link
 * #mayApply}), which the simulator checks every delivery and the final states against.
 */
record Role(Kind kind, int group) {
    enum Kind {
        HUB,
        VIEWER,
        USER
    }

    /** A role drawn for one peer: 30% hubs, 20% viewers, 50% users of group 0 or 1. */
    static Role draw(Random r) {
        double x = r.nextDouble();
        if (x < 0.3) return new Role(Kind.HUB, 0);
        if (x < 0.5) return new Role(Kind.VIEWER, 0);
        return new Role(Kind.USER, r.nextInt(2));
    }

    String userId() {
        return kind == Kind.USER ? "u" + group : kind.name().toLowerCase(java.util.Locale.ROOT);
    }

    Value.Obj metadata() {
        return (Value.Obj) Value.fromJava(Map.of("grp", group));
    }

    /** The permission set an authority would hand this identity. */
    Permissions permissions() {
        Object read, write;
        switch (kind) {
            case HUB -> {
                read = Map.of("everything", true);
                write = Map.of("everything", true);
            }
            case VIEWER -> {
                read = Map.of("everything", true);
                write = Map.of("everything", false);
            }
            default -> {
                read = Map.of(
                        "queriesByCollection",
                        Map.of(
                                "a", List.of("grp = :metadata.grp"),
                                "b", List.of("n > 2"),
                                "c", List.of("x IS NOT MISSING")));
                write = Map.of(
                        "queriesByCollection", Map.of("a", List.of("grp = :metadata.grp"), "b", List.of("n > 2")));
            }
        }
        return Permissions.parse(Value.fromJava(Map.of("read", read, "write", write)));
    }

    /**
     * A planted bug (EngineFault): this role's principal with its reads unchecked ({@code readsAll}) or its writes
     * unchecked, judged otherwise by this class's own rules.
     */
    Principal plantedPrincipal(boolean readsAll) {
        Role self = this;
        return Principal.of(userId(), metadata(), new RemoteAccess() {
            @Override
            public boolean mayReadCollection(String collection) {
                return readsAll || self.readsCollection(collection);
            }

            @Override
            public boolean mayWriteCollection(String collection) {
                return !readsAll || self.writesCollection(collection);
            }

            @Override
            public boolean mayRead(String collection, byte[] id, byte[] state) {
                return readsAll || self.mayRead(collection, DocumentState.decode(state));
            }

            @Override
            public boolean mayWrite(String collection, byte[] id, DocumentState state) {
                Value.@Nullable Obj f = state.fields();
                return !readsAll || (f != null && self.mayWrite(collection, f));
            }
        });
    }

    boolean readsCollection(String collection) {
        return kind != Kind.USER || List.of("a", "b", "c").contains(collection);
    }

    boolean writesCollection(String collection) {
        return kind == Kind.HUB || (kind == Kind.USER && List.of("a", "b").contains(collection));
    }

    /** Whether this identity may read a state of a document: a live one by its fields, a tombstone by collection. */
    boolean mayRead(String collection, DocumentState state) {
        if (kind != Kind.USER) return true;
        if (!readsCollection(collection)) return false;
        Value.@Nullable Obj f = state.fields();
        if (f == null) return true; // a tombstone: any reader of the collection
        return switch (collection) {
            case "a" -> groupIs(f);
            case "b" -> nAbove2(f);
            default -> !f.get("x").isMissing();
        };
    }

    private boolean mayWrite(String collection, Value.Obj f) {
        if (kind == Kind.HUB) return true;
        if (kind == Kind.VIEWER) return false;
        return switch (collection) {
            case "a" -> groupIs(f);
            case "b" -> nAbove2(f);
            default -> false;
        };
    }

    /** The write rule (docs/PERMISSIONS.md): allowed on the document before (if live) and after (if live). */
    boolean mayApply(String collection, @Nullable DocumentState before, DocumentState after) {
        if (kind == Kind.HUB) return true;
        if (!writesCollection(collection)) return false;
        Value.@Nullable Obj b = before == null ? null : before.fields();
        if (b != null && !mayWrite(collection, b)) return false;
        Value.@Nullable Obj a = after.fields();
        return a == null || mayWrite(collection, a);
    }

    private boolean groupIs(Value.Obj f) {
        return f.get("grp") instanceof Value.Int i && i.value() == group;
    }

    private static boolean nAbove2(Value.Obj f) {
        Value n = f.get("n");
        if (n instanceof Value.Int i) return i.value() > 2;
        if (n instanceof Value.Dbl d) return d.value() > 2;
        return false;
    }

    @Override
    public String toString() {
        return kind == Kind.USER ? "user u" + group : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
