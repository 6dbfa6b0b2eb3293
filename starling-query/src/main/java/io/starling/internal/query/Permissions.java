package io.starling.internal.query;

import io.starling.internal.core.Limits;
import io.starling.internal.core.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * What one identity may read and what it may write, in the shape an authority hands out (docs/PERMISSIONS.md):
 *
 * <pre>{@code
 * {"read":  {"everything": false, "queriesByCollection": {"tasks": ["owner = :userId"]}},
 *  "write": {"everything": false, "queriesByCollection": {"tasks": ["owner = :userId", "shared = true"]}}}
 * }</pre>
 *
 * <p>For each direction, either every document of every collection, or per collection a list of DQL conditions: a
 * document is allowed when at least one of them is true for it (a condition that is false, NULL, MISSING or fails
 * to evaluate does not allow it). A collection not listed allows nothing; a direction left out allows nothing.
 * Conditions may use any field of the document and two arguments that the identity supplies: {@code :userId} (a
 * string) and {@code :metadata} (an object, so {@code :metadata.team}); any other argument is refused when the
 * permissions are parsed.
 *
 * <p>Permissions arrive from outside (a login provider's answer, a certificate, a file), so {@link #parse} checks
 * everything and refuses with a message that names where the input is wrong. Immutable and thread-safe; pure (the
 * time a condition sees through {@code clock()} is passed in).
 */
public final class Permissions {
    /** At most this many collections per direction. */
    public static final int MAX_COLLECTIONS = 1024;

    /** At most this many conditions per collection and direction. */
    public static final int MAX_CONDITIONS = 64;

    /** A condition is at most this many characters (UTF-16 units) of DQL. */
    public static final int MAX_CONDITION_CHARS = 4096;

    /** The arguments a condition may reference. */
    public static final String USER_ID = "userId";

    public static final String METADATA = "metadata";

    private static final Permissions ALL = new Permissions(Access.ALL, Access.ALL);
    private static final Permissions NONE = new Permissions(Access.NONE, Access.NONE);

    private final Access read;
    private final Access write;

    private Permissions(Access read, Access write) {
        this.read = read;
        this.write = write;
    }

    /** Every document of every collection, both ways (what an authority holds). */
    public static Permissions everything() {
        return ALL;
    }

    /** Nothing either way. */
    public static Permissions nothing() {
        return NONE;
    }

    /**
     * Reads permissions from their JSON shape (as {@link Value#fromJava} makes it from parsed JSON).
     *
     * @throws InvalidPermissionsException naming the member that is wrong ({@code read.queriesByCollection.tasks[0]})
     *     and why
     */
    public static Permissions parse(Value json) {
        if (!(json instanceof Value.Obj top)) throw new InvalidPermissionsException("permissions", "must be an object");
        Access read = Access.NONE;
        Access write = Access.NONE;
        for (Map.Entry<String, Value> e : top.fields().entrySet()) {
            switch (e.getKey()) {
                case "read" -> read = Access.parse("read", e.getValue());
                case "write" -> write = Access.parse("write", e.getValue());
                default ->
                    throw new InvalidPermissionsException(
                            member("permissions", e.getKey()), "is not a permission; expected \"read\" or \"write\"");
            }
        }
        return new Permissions(read, write);
    }

    public Access read() {
        return read;
    }

    public Access write() {
        return write;
    }

    /**
     * The canonical JSON shape: both directions, {@code everything} always present, collections in code point order,
     * conditions as they were given. {@code parse(p.toValue())} equals {@code p}.
     */
    public Value toValue() {
        LinkedHashMap<String, Value> top = new LinkedHashMap<>();
        top.put("read", read.toValue());
        top.put("write", write.toValue());
        return Value.Obj.ofOwned(top);
    }

    /** These permissions for one identity: its {@code :userId} and {@code :metadata} bound. */
    public Grant grant(String userId, Value.Obj metadata) {
        return new Grant(this, userId, metadata);
    }

    @Override
    public boolean equals(@Nullable Object o) {
        return o instanceof Permissions p && read.equals(p.read) && write.equals(p.write);
    }

    @Override
    public int hashCode() {
        return read.hashCode() * 31 + write.hashCode();
    }

    @Override
    public String toString() {
        return JsonText.write(toValue());
    }

    /** One direction: everything, or conditions per collection. */
    public static final class Access {
        static final Access ALL = new Access(true, Map.of());
        static final Access NONE = new Access(false, Map.of());

        private final boolean everything;
        /** Collection → its conditions, in code point order of the collection names. */
        private final Map<String, List<Condition>> byCollection;

        private Access(boolean everything, Map<String, List<Condition>> byCollection) {
            this.everything = everything;
            this.byCollection = byCollection;
        }

        /** Whether every document of every collection is allowed. */
        public boolean everything() {
            return everything;
        }

        /** Whether some document of this collection may be allowed (everything, or conditions listed for it). */
        public boolean coversCollection(String collection) {
            return everything || byCollection.containsKey(collection);
        }

        /** The collections that have conditions listed, in code point order. */
        public List<String> collections() {
            return List.copyOf(byCollection.keySet());
        }

        /** The conditions of a collection as given (empty when it is not listed). */
        public List<String> conditions(String collection) {
            List<Condition> cs = byCollection.get(collection);
            if (cs == null) return List.of();
            List<String> texts = new ArrayList<>(cs.size());
            for (Condition c : cs) texts.add(c.text);
            return List.copyOf(texts);
        }

        private static Access parse(String direction, Value json) {
            if (!(json instanceof Value.Obj obj)) throw new InvalidPermissionsException(direction, "must be an object");
            boolean everything = false;
            Map<String, List<Condition>> byCollection = new TreeMap<>();
            for (Map.Entry<String, Value> e : obj.fields().entrySet()) {
                String where = member(direction, e.getKey());
                switch (e.getKey()) {
                    case "everything" -> {
                        if (!(e.getValue() instanceof Value.Bool b)) {
                            throw new InvalidPermissionsException(where, "must be true or false");
                        }
                        everything = b.value();
                    }
                    case "queriesByCollection" -> byCollection = collections(where, e.getValue());
                    default ->
                        throw new InvalidPermissionsException(
                                where, "is not understood; expected \"everything\" or \"queriesByCollection\"");
                }
            }
            if (!everything && byCollection.isEmpty()) return NONE;
            return new Access(everything, everything ? Map.of() : byCollection);
        }

        private static Map<String, List<Condition>> collections(String where, Value json) {
            if (!(json instanceof Value.Obj obj)) {
                throw new InvalidPermissionsException(
                        where, "must be an object of collection names to lists of DQL conditions");
            }
            if (obj.fields().size() > MAX_COLLECTIONS) {
                throw new InvalidPermissionsException(
                        where, "lists " + obj.fields().size() + " collections; the limit is " + MAX_COLLECTIONS);
            }
            Map<String, List<Condition>> out = new TreeMap<>();
            for (Map.Entry<String, Value> e : obj.fields().entrySet()) {
                String collection = e.getKey();
                String problem = Limits.nameProblem("collection name", collection);
                if (problem != null) throw new InvalidPermissionsException(where, problem);
                String at = member(where, collection);
                if (!(e.getValue() instanceof Value.Arr arr)) {
                    throw new InvalidPermissionsException(at, "must be a list of DQL conditions (strings)");
                }
                if (arr.size() > MAX_CONDITIONS) {
                    throw new InvalidPermissionsException(
                            at, "lists " + arr.size() + " conditions; the limit is " + MAX_CONDITIONS);
                }
                List<Condition> conditions = new ArrayList<>(arr.size());
                for (int i = 0; i < arr.size(); i++) {
                    conditions.add(Condition.parse(at + "[" + i + "]", arr.get(i)));
                }
                // an empty list allows nothing, like a collection not listed
                if (!conditions.isEmpty()) out.put(collection, List.copyOf(conditions));
            }
            return out;
        }

        private boolean allows(String collection, Value.Obj document, EvalContext ctx) {
            if (everything) return true;
            List<Condition> conditions = byCollection.get(collection);
            if (conditions == null) return false;
            for (Condition c : conditions) {
                if (c.isTrueFor(document, ctx)) return true;
            }
            return false;
        }

        private Value toValue() {
            LinkedHashMap<String, Value> collections = new LinkedHashMap<>();
            for (Map.Entry<String, List<Condition>> e : byCollection.entrySet()) {
                ArrayList<Value> texts = new ArrayList<>(e.getValue().size());
                for (Condition c : e.getValue()) texts.add(Value.of(c.text));
                collections.put(e.getKey(), Value.Arr.ofOwned(texts));
            }
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>();
            fields.put("everything", Value.of(everything));
            fields.put("queriesByCollection", Value.Obj.ofOwned(collections));
            return Value.Obj.ofOwned(fields);
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Access a && everything == a.everything && byCollection.equals(a.byCollection);
        }

        @Override
        public int hashCode() {
            return Boolean.hashCode(everything) * 31 + byCollection.hashCode();
        }
    }

    /** One DQL condition, parsed once. Equality is by its text. */
    private static final class Condition {
        final String text;
        final Node node;
        final int frameSize;

        private Condition(String text, Node node, int frameSize) {
            this.text = text;
            this.node = node;
            this.frameSize = frameSize;
        }

        static Condition parse(String where, Value json) {
            if (!(json instanceof Value.Str s)) throw new InvalidPermissionsException(where, "must be a string");
            String text = s.value();
            if (text.isBlank()) throw new InvalidPermissionsException(where, "is empty");
            if (text.length() > MAX_CONDITION_CHARS) {
                throw new InvalidPermissionsException(
                        where, "is " + text.length() + " characters long; the limit is " + MAX_CONDITION_CHARS);
            }
            Parser.Standalone parsed;
            try {
                parsed = Parser.parseStandalone(text);
            } catch (DqlException bad) {
                throw new InvalidPermissionsException(where, "is not a DQL condition: " + bad.getMessage());
            }
            for (ArgUse use : parsed.argUses()) {
                if (!use.name().equals(USER_ID) && !use.name().equals(METADATA)) {
                    throw new InvalidPermissionsException(
                            where,
                            "line " + use.line() + ", column " + use.column() + ": unknown argument :" + use.name()
                                    + "; a condition may use :" + USER_ID + " and :" + METADATA);
                }
            }
            return new Condition(text, parsed.node(), parsed.frameSize());
        }

        /**
         * Whether the condition is true for the document. A condition that cannot be evaluated on it (a value too
         * large to build, say) is not true: permissions fail closed. Running out of time is not a verdict, so a
         * {@link DqlException.Kind#TIMEOUT} from the context's cancellation is thrown to the caller.
         */
        boolean isTrueFor(Value.Obj document, EvalContext ctx) {
            Env env = new Env(ctx, frameSize);
            env.row = document;
            try {
                return Comparisons.isTrue(node.eval(env));
            } catch (DqlException e) {
                if (e.kind() == DqlException.Kind.TIMEOUT) throw e;
                return false;
            }
        }

        @Override
        public boolean equals(@Nullable Object o) {
            return o instanceof Condition c && text.equals(c.text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }

    /** Permissions bound to one identity: what that identity may read and write. Immutable, thread-safe. */
    public static final class Grant {
        private final Permissions permissions;
        private final String userId;
        private final Value.Obj metadata;
        private final Map<String, Value> arguments;

        private Grant(Permissions permissions, String userId, Value.Obj metadata) {
            this.permissions = permissions;
            this.userId = userId;
            this.metadata = metadata;
            this.arguments = Map.of(USER_ID, Value.of(userId), METADATA, metadata);
        }

        public Permissions permissions() {
            return permissions;
        }

        public String userId() {
            return userId;
        }

        public Value.Obj metadata() {
            return metadata;
        }

        /** The arguments the conditions see ({@code :userId}, {@code :metadata}). */
        public Map<String, Value> arguments() {
            return arguments;
        }

        /** Whether the identity may read this document of this collection. */
        public boolean mayRead(String collection, Value.Obj document, long nowMillis, Cancellation cancellation) {
            return permissions.read.allows(collection, document, new EvalContext(arguments, nowMillis, cancellation));
        }

        /** Whether the identity may write this document (as it is after the write) of this collection. */
        public boolean mayWrite(String collection, Value.Obj document, long nowMillis, Cancellation cancellation) {
            return permissions.write.allows(collection, document, new EvalContext(arguments, nowMillis, cancellation));
        }
    }

    private static String member(String parent, String key) {
        boolean plain = !key.isEmpty() && key.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_');
        return parent + (plain ? "." + key : "[" + JsonText.write(Value.of(key)) + "]");
    }
}
