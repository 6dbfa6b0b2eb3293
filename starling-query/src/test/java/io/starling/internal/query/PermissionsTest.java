package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PermissionsTest {
    private static final long NOW = Eval.NOW;

    private static Permissions parse(String json) {
        return Permissions.parse(Eval.value(json));
    }

    private static Value.Obj doc(String dql) {
        return (Value.Obj) Eval.value(dql);
    }

    private static Permissions.Grant alice() {
        return parse("{'read': {'everything': false, 'queriesByCollection': {'tasks': ['owner = :userId',"
                        + " 'team = :metadata.team AND shared = true']}},"
                        + " 'write': {'queriesByCollection': {'tasks': ['owner = :userId']}}}")
                .grant("alice", doc("{'team': 'north'}"));
    }

    private static boolean reads(Permissions.Grant g, String collection, String document) {
        return g.mayRead(collection, doc(document), NOW, Cancellation.NONE);
    }

    private static boolean writes(Permissions.Grant g, String collection, String document) {
        return g.mayWrite(collection, doc(document), NOW, Cancellation.NONE);
    }

    @Test
    void aDocumentIsReadableWhenAnyConditionHoldsForTheIdentity() {
        Permissions.Grant alice = alice();
        assertThat(reads(alice, "tasks", "{'_id': 1, 'owner': 'alice'}")).isTrue();
        assertThat(reads(alice, "tasks", "{'_id': 2, 'owner': 'bob', 'team': 'north', 'shared': true}"))
                .isTrue();
        assertThat(reads(alice, "tasks", "{'_id': 3, 'owner': 'bob', 'team': 'north'}"))
                .isFalse();
        assertThat(reads(alice, "tasks", "{'_id': 4, 'owner': 'bob', 'team': 'south', 'shared': true}"))
                .isFalse();
        assertThat(reads(alice, "tasks", "{'_id': 5}")).isFalse();
    }

    @Test
    void writeConditionsAreTheirOwn() {
        Permissions.Grant alice = alice();
        assertThat(writes(alice, "tasks", "{'_id': 1, 'owner': 'alice'}")).isTrue();
        assertThat(writes(alice, "tasks", "{'_id': 2, 'owner': 'bob', 'team': 'north', 'shared': true}"))
                .isFalse();
    }

    @Test
    void aCollectionNotListedAllowsNothingAndEverythingAllowsAll() {
        assertThat(reads(alice(), "orders", "{'_id': 1, 'owner': 'alice'}")).isFalse();
        assertThat(alice().permissions().read().coversCollection("orders")).isFalse();
        assertThat(alice().permissions().read().coversCollection("tasks")).isTrue();

        Permissions.Grant viewer = parse("{'read': {'everything': true}}").grant("v", Value.Obj.EMPTY);
        assertThat(reads(viewer, "anything", "{'_id': 1}")).isTrue();
        assertThat(writes(viewer, "anything", "{'_id': 1}")).isFalse();
        assertThat(viewer.permissions().write()).isEqualTo(Permissions.nothing().write());

        Permissions.Grant hub = Permissions.everything().grant("hub", Value.Obj.EMPTY);
        assertThat(writes(hub, "x", "{'_id': 1}")).isTrue();
    }

    @Test
    void everythingWinsOverConditions() {
        Permissions p = parse("{'read': {'everything': true, 'queriesByCollection': {'tasks': ['false']}}}");
        assertThat(reads(p.grant("u", Value.Obj.EMPTY), "tasks", "{'_id': 1}")).isTrue();
        assertThat(p.read()).isEqualTo(Permissions.everything().read());
    }

    @Test
    void missingMetadataAllowsNothingThroughIt() {
        Permissions p = parse("{'read': {'queriesByCollection': {'tasks': ['team = :metadata.team']}}}");
        assertThat(reads(p.grant("u", Value.Obj.EMPTY), "tasks", "{'_id': 1, 'team': 'north'}"))
                .isFalse();
        // MISSING = MISSING is not true either: a document without the field is not let through
        assertThat(reads(p.grant("u", Value.Obj.EMPTY), "tasks", "{'_id': 1}")).isFalse();
    }

    @Test
    void aConditionThatCannotBeEvaluatedFailsClosed() {
        // repeat() past the value size limit raises INVALID during evaluation: not a reason to allow
        Permissions p = parse("{'read': {'queriesByCollection': {'t': ['length(repeat(name, 100000000)) > 0']}}}");
        assertThat(reads(p.grant("u", Value.Obj.EMPTY), "t", "{'_id': 1, 'name': 'abcdef'}"))
                .isFalse();
    }

    @Test
    void aTimeoutIsNotAVerdict() {
        Permissions.Grant g = parse("{'read': {'queriesByCollection': {'t': ['ANY x IN xs SATISFIES x = 1 END']}}}")
                .grant("u", Value.Obj.EMPTY);
        Cancellation expired = () -> {
            throw new DqlException(DqlException.Kind.TIMEOUT, "stopped after 1 ms");
        };
        assertThatThrownBy(() -> g.mayRead("t", doc("{'_id': 1, 'xs': [2, 1]}"), NOW, expired))
                .isInstanceOf(DqlException.class)
                .hasMessageContaining("stopped");
    }

    @Test
    void theCanonicalShapeReadsBackEqual() {
        Permissions p = parse("{'write': {'queriesByCollection': {'b': ['x = 1'], 'a': ['y = :userId', 'z']}},"
                + " 'read': {'everything': true}}");
        Value canonical = p.toValue();
        assertThat(JsonText.write(canonical))
                .isEqualTo("{\"read\":{\"everything\":true,\"queriesByCollection\":{}},"
                        + "\"write\":{\"everything\":false,\"queriesByCollection\":{\"a\":[\"y = :userId\",\"z\"],"
                        + "\"b\":[\"x = 1\"]}}}");
        assertThat(Permissions.parse(canonical)).isEqualTo(p).hasSameHashCodeAs(p);
        assertThat(p.write().conditions("a")).containsExactly("y = :userId", "z");
        assertThat(p.write().conditions("c")).isEmpty();
        assertThat(Permissions.parse(Permissions.nothing().toValue())).isEqualTo(Permissions.nothing());
    }

    @Test
    void anEmptyListOfConditionsIsLikeACollectionNotListed() {
        Permissions p = parse("{'read': {'queriesByCollection': {'tasks': []}}}");
        assertThat(p).isEqualTo(Permissions.nothing());
        assertThat(p.read().coversCollection("tasks")).isFalse();
    }

    @Test
    void malformedPermissionsAreRefusedNamingWhere() {
        Map<String, String> cases = Map.ofEntries(
                Map.entry("[]", "permissions: must be an object"),
                Map.entry("{'raed': {}}", "permissions.raed: is not a permission; expected \"read\" or \"write\""),
                Map.entry("{'read': true}", "read: must be an object"),
                Map.entry("{'read': {'everything': 'yes'}}", "read.everything: must be true or false"),
                Map.entry("{'read': {'all': true}}", "read.all: is not understood"),
                Map.entry("{'write': {'queriesByCollection': ['x']}}", "write.queriesByCollection: must be an object"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': 'x = 1'}}}",
                        "read.queriesByCollection.t: must be a list of DQL conditions"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': [1]}}}",
                        "read.queriesByCollection.t[0]: must be a string"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': ['  ']}}}", "read.queriesByCollection.t[0]: is empty"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': ['x = 1', 'owner = = 2']}}}",
                        "read.queriesByCollection.t[1]: is not a DQL condition: line 1, column 9:"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': ['owner = :user']}}}",
                        "read.queriesByCollection.t[0]: line 1, column 9: unknown argument :user; a condition may"
                                + " use :userId and :metadata"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': ['count(x) > 1']}}}",
                        "read.queriesByCollection.t[0]: is not a DQL condition"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'t': ['x = 1) OR (true']}}}",
                        "read.queriesByCollection.t[0]: is not a DQL condition"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'': ['true']}}}",
                        "read.queriesByCollection: a collection name must not be empty"),
                Map.entry(
                        "{'read': {'queriesByCollection': {'a b': [1]}}}",
                        "read.queriesByCollection[\"a b\"][0]: must be a string"));
        for (Map.Entry<String, String> c : cases.entrySet()) {
            assertThatThrownBy(() -> parse(c.getKey()))
                    .as(c.getKey())
                    .isInstanceOf(InvalidPermissionsException.class)
                    .hasMessageStartingWith(c.getValue());
        }
    }

    @Test
    void limitsAreEnforced() {
        String longCondition = "x = '" + "a".repeat(Permissions.MAX_CONDITION_CHARS) + "'";
        assertThatThrownBy(() -> Permissions.parse(Value.fromJava(
                        Map.of("read", Map.of("queriesByCollection", Map.of("t", List.of(longCondition)))))))
                .isInstanceOf(InvalidPermissionsException.class)
                .hasMessage("read.queriesByCollection.t[0]: is " + longCondition.length()
                        + " characters long; the limit is " + Permissions.MAX_CONDITION_CHARS);

        List<String> tooMany = java.util.Collections.nCopies(Permissions.MAX_CONDITIONS + 1, "true");
        assertThatThrownBy(() -> Permissions.parse(
                        Value.fromJava(Map.of("write", Map.of("queriesByCollection", Map.of("t", tooMany))))))
                .hasMessage("write.queriesByCollection.t: lists " + (Permissions.MAX_CONDITIONS + 1)
                        + " conditions; the limit is " + Permissions.MAX_CONDITIONS);

        Map<String, Object> collections = new java.util.HashMap<>();
        for (int i = 0; i <= Permissions.MAX_COLLECTIONS; i++) collections.put("c" + i, List.of("true"));
        assertThatThrownBy(() ->
                        Permissions.parse(Value.fromJava(Map.of("read", Map.of("queriesByCollection", collections)))))
                .hasMessage("read.queriesByCollection: lists " + (Permissions.MAX_COLLECTIONS + 1)
                        + " collections; the limit is " + Permissions.MAX_COLLECTIONS);

        String bigName = "n".repeat(300);
        assertThatThrownBy(() -> Permissions.parse(Value.fromJava(
                        Map.of("read", Map.of("queriesByCollection", Map.of(bigName, List.of("true")))))))
                .hasMessageContaining("is 300 bytes long; the limit is 256");
    }
}
