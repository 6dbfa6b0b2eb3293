package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.From;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.statistics.Statistics;

/**
 * Permission conditions must allow exactly the documents that the same conditions select as a DQL query: for random
 * documents, random conditions over their fields and the identity's arguments, and random identities, a document is
 * readable (writable) under {@code {"tasks": [c1, c2, …]}} exactly when {@code SELECT * FROM tasks WHERE (c1) OR (c2)
 * …} with {@code :userId} and {@code :metadata} bound returns it — through the query planner, with and without an
 * index on the fields the conditions test.
 */
class PermissionsAgreementPropertyTest {
    private static final List<String> ATOMS = List.of(
            "owner = :userId",
            "owner != :userId",
            "team = :metadata.team",
            "n > :metadata.level",
            "n >= 2",
            "n IN [1, 3, 5]",
            "shared = true",
            "shared",
            "owner IS MISSING",
            "owner IS NULL",
            "team IS NOT MISSING",
            "ANY t IN tags SATISFIES t = :userId END",
            "EVERY t IN tags SATISFIES t != 'x' END",
            "contains(owner, 'li')",
            "owner LIKE 'b%'",
            "_id < 4",
            "array_contains(:metadata.teams, team)",
            ":metadata.admin = true",
            "n + 1 = :metadata.level",
            "lower(team) = 'north'");

    @Provide
    Arbitrary<String> conditions() {
        Arbitrary<String> atom = Arbitraries.of(ATOMS);
        return Arbitraries.recursive(
                () -> atom,
                inner -> Arbitraries.oneOf(
                        atom,
                        Combinators.combine(inner, inner, Arbitraries.of("AND", "OR"))
                                .as((a, b, op) -> "(" + a + ") " + op + " (" + b + ")"),
                        inner.map(a -> "NOT (" + a + ")")),
                0,
                3);
    }

    @Provide
    Arbitrary<Value.Obj> documents() {
        Arbitrary<Value> owner = Arbitraries.of(
                Value.MISSING, Value.NULL, Value.of("alice"), Value.of("bob"), Value.of("charlie"), Value.of(7L));
        Arbitrary<Value> team = Arbitraries.of(Value.MISSING, Value.of("north"), Value.of("NORTH"), Value.of("south"));
        Arbitrary<Value> n = Arbitraries.oneOf(
                Arbitraries.longs().between(0, 6).map(Value::of), Arbitraries.of(Value.MISSING, Value.of("3")));
        Arbitrary<Value> shared = Arbitraries.of(Value.MISSING, Value.of(true), Value.of(false), Value.of(1L));
        Arbitrary<Value> tags = Arbitraries.of("alice", "bob", "x")
                .list()
                .ofMaxSize(3)
                .map(l -> (Value) Value.fromJava(l))
                .injectNull(0.2)
                .map(v -> v == null ? Value.MISSING : v);
        return Combinators.combine(owner, team, n, shared, tags).as((o, t, num, s, tg) -> {
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
            put(fields, "owner", o);
            put(fields, "team", t);
            put(fields, "n", num);
            put(fields, "shared", s);
            put(fields, "tags", tg);
            return Value.Obj.ofOwned(fields);
        });
    }

    @Provide
    Arbitrary<Value.Obj> metadata() {
        Arbitrary<Value> team = Arbitraries.of(Value.MISSING, Value.of("north"), Value.of("south"));
        Arbitrary<Value> level =
                Arbitraries.oneOf(Arbitraries.longs().between(0, 6).map(Value::of), Arbitraries.just(Value.MISSING));
        Arbitrary<Value> teams = Arbitraries.of(
                Value.MISSING, Value.fromJava(List.of("north")), Value.fromJava(List.of("north", "south")));
        Arbitrary<Value> admin = Arbitraries.of(Value.MISSING, Value.of(true), Value.of(false));
        return Combinators.combine(team, level, teams, admin).as((t, l, ts, a) -> {
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
            put(fields, "team", t);
            put(fields, "level", l);
            put(fields, "teams", ts);
            put(fields, "admin", a);
            return Value.Obj.ofOwned(fields);
        });
    }

    private static void put(Map<String, Value> fields, String name, Value v) {
        if (!v.isAbsent() || v == Value.NULL) fields.put(name, v);
    }

    @Property(tries = 400)
    void conditionsAllowExactlyWhatTheQuerySelects(
            @ForAll @Size(min = 2, max = 10) List<Value.@From("documents") Obj> docs,
            @ForAll @Size(min = 1, max = 4) List<@From("conditions") String> conditions,
            @ForAll("metadata") Value.Obj metadata,
            @ForAll boolean readNotWrite,
            @ForAll boolean indexed) {
        List<String> used = conditions;
        String userId = docs.isEmpty() || docs.size() % 2 == 0 ? "alice" : "bob";

        InMemorySource src = new InMemorySource();
        List<Value.Obj> stored = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
            fields.put("_id", Value.of((long) i));
            fields.putAll(docs.get(i).fields());
            Value.Obj d = Value.Obj.ofOwned(fields);
            stored.add(d);
            src.add("tasks", d);
            src.add("other", d);
        }
        if (indexed) src.index("CREATE INDEX by_owner ON tasks (owner)").index("CREATE INDEX by_n ON tasks (n)");

        Map<String, Object> access = Map.of("queriesByCollection", Map.of("tasks", used));
        Permissions permissions = Permissions.parse(Value.fromJava(Map.of(readNotWrite ? "read" : "write", access)));
        Permissions.Grant grant = permissions.grant(userId, metadata);

        Set<Value> selected = new HashSet<>();
        if (!used.isEmpty()) {
            StringBuilder where = new StringBuilder();
            for (String c : used)
                where.append(where.length() == 0 ? "" : " OR ")
                        .append('(')
                        .append(c)
                        .append(')');
            for (Value.Obj row : Eval.select(
                    "SELECT * FROM tasks WHERE " + where,
                    src,
                    Map.of("userId", Value.of(userId), "metadata", metadata))) {
                selected.add(row.get("_id"));
            }
        }
        Statistics.label("allowed")
                .collect(selected.isEmpty() ? "none" : selected.size() == docs.size() ? "all" : "some");

        // most tries must let some documents through and hold others back, or the comparison says little
        Statistics.label("allowed").coverage(c -> c.check("some").percentage(p -> p >= 30));
        for (Value.Obj d : stored) {
            boolean allowed = readNotWrite
                    ? grant.mayRead("tasks", d, Eval.NOW, Cancellation.NONE)
                    : grant.mayWrite("tasks", d, Eval.NOW, Cancellation.NONE);
            assertThat(allowed)
                    .as("%s under %s for %s %s", d, used, userId, metadata)
                    .isEqualTo(selected.contains(d.get("_id")));
            // the other direction and a collection not listed allow nothing
            assertThat(
                            readNotWrite
                                    ? grant.mayWrite("tasks", d, Eval.NOW, Cancellation.NONE)
                                    : grant.mayRead("tasks", d, Eval.NOW, Cancellation.NONE))
                    .isFalse();
            assertThat(grant.mayRead("other", d, Eval.NOW, Cancellation.NONE)).isFalse();
        }
    }
}
