package io.starling.internal.core;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A DQL value — null, boolean, 64-bit integer, 64-bit float, string, binary, array, object (docs/DATA-MODEL.md) —
 * plus {@link #MISSING}, the value of an absent field.
 *
 * <p>MISSING is not NULL: it is what a path that leads nowhere evaluates to, it is never stored, and an
 * object never holds a MISSING field (constructors drop them). Values are immutable and thread-safe.
 *
 * <p>{@code equals} is structural and type-exact ({@code Int(1)} is not {@code Dbl(1.0)});
 * query comparison, which treats numbers by value, lives in {@link ValueOrder}. Object field order is
 * kept (projections keep their column order) but ignored by equality, as for any {@link Map}.
 */
// Value's constants are instances of its own subtypes: a thread initialising Value while another initialises one
// of those subtypes first could deadlock. Missing and Null cannot go first (private constructors, instances reached
// only through Value); main code reaches Bool only through TRUE and FALSE, so Value is always initialised first.
// Keep it so: build booleans with Value.TRUE / Value.FALSE, not new Value.Bool(..).
@SuppressWarnings("ClassInitializationDeadlock")
public sealed interface Value
        permits Value.Missing,
                Value.Null,
                Value.Bool,
                Value.Int,
                Value.Dbl,
                Value.Str,
                Value.Bin,
                Value.Arr,
                Value.Obj {

    Missing MISSING = Missing.INSTANCE;
    Null NULL = Null.INSTANCE;
    Bool TRUE = new Bool(true);
    Bool FALSE = new Bool(false);

    /** The type name DQL's {@code type()} returns. */
    String typeName();

    default boolean isMissing() {
        return this == MISSING;
    }

    default boolean isNull() {
        return this == NULL;
    }

    /** MISSING or NULL. */
    default boolean isAbsent() {
        return this == MISSING || this == NULL;
    }

    default boolean isNumber() {
        return this instanceof Int || this instanceof Dbl;
    }

    /**
     * Converts to plain Java: {@code null} (for NULL and MISSING), Boolean, Long, Double, String, byte[],
     * an unmodifiable List, or an unmodifiable insertion-ordered Map.
     */
    @Nullable
    Object toJava();

    static Bool of(boolean b) {
        return b ? TRUE : FALSE;
    }

    static Int of(long v) {
        return new Int(v);
    }

    static Dbl of(double v) {
        return new Dbl(v);
    }

    static Str of(String s) {
        return new Str(s);
    }

    /**
     * Converts a plain Java value (as an application passes in arguments, or as Jackson reads JSON):
     * null, Boolean, any integral Number (within 64 bits), Float/Double/BigDecimal, CharSequence, byte[],
     * Map with String keys, List, Object[] or an existing Value.
     *
     * @throws IllegalArgumentException naming the unsupported type or value
     */
    static Value fromJava(Object o) {
        return fromJava(o, 0, null);
    }

    /**
     * A caller's own conversion of some Java objects, consulted by {@link #fromJava(Object, Special)} before the
     * plain rules for every map and every object of a type those rules do not know: the value it stands for, or null
     * to convert the object by the plain rules (a map as an object; another type is refused).
     */
    @FunctionalInterface
    interface Special {
        @Nullable
        Value convert(Object o);
    }

    /**
     * {@link #fromJava(Object)} with {@code special} consulted first for maps and unknown types, at every depth, in
     * the same walk (an argument is converted in one pass whatever it holds).
     */
    static Value fromJava(Object o, Special special) {
        return fromJava(o, 0, Objects.requireNonNull(special, "special"));
    }

    /**
     * {@link #fromJava(Object)} of a value inside {@code enclosing} levels of containers: nesting deeper than
     * {@link Limits#MAX_DEPTH} (or a map that contains itself) is refused before it can exhaust the stack.
     */
    private static Value fromJava(Object o, int enclosing, @Nullable Special special) {
        // most frequent types first: this runs for every field of every argument
        if (o instanceof String s) return new Str(s);
        if (o instanceof Long || o instanceof Integer) return new Int(((Number) o).longValue());
        if (o == null) return NULL;
        if (o instanceof Map<?, ?> m) {
            if (special != null) {
                Value converted = special.convert(m);
                if (converted != null) return converted;
            }
            checkNesting(enclosing + 1);
            LinkedHashMap<String, Value> fields = new LinkedHashMap<>(Math.max(4, m.size() * 2));
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new IllegalArgumentException("object keys must be strings, got " + e.getKey());
                }
                fields.put(key, fromJava(e.getValue(), enclosing + 1, special));
            }
            return Obj.ofOwned(fields);
        }
        if (o instanceof Boolean b) return of(b);
        if (o instanceof Double || o instanceof Float) return new Dbl(((Number) o).doubleValue());
        if (o instanceof List<?> l) {
            checkNesting(enclosing + 1);
            ArrayList<Value> items = new ArrayList<>(l.size());
            for (Object item : l) items.add(fromJava(item, enclosing + 1, special));
            return Arr.ofOwned(items);
        }
        if (o instanceof Value v) return v;
        if (o instanceof Short || o instanceof Byte) return new Int(((Number) o).longValue());
        if (o instanceof BigInteger bi) {
            if (bi.bitLength() > 63) throw new IllegalArgumentException("integer out of 64-bit range: " + bi);
            return new Int(bi.longValue());
        }
        if (o instanceof BigDecimal bd) {
            try {
                return new Int(bd.longValueExact());
            } catch (ArithmeticException notIntegral) {
                return new Dbl(bd.doubleValue());
            }
        }
        if (o instanceof CharSequence s) return new Str(s.toString());
        if (o instanceof Character c) return new Str(c.toString());
        if (o instanceof byte[] bytes) return new Bin(bytes);
        if (o instanceof Object[] arr) return fromJava(Arrays.asList(arr), enclosing, special);
        if (special != null) {
            Value converted = special.convert(o);
            if (converted != null) return converted;
        }
        throw new IllegalArgumentException(
                "unsupported value type " + o.getClass().getName());
    }

    private static void checkNesting(int level) {
        if (level > Limits.MAX_DEPTH) {
            throw new IllegalArgumentException("objects and arrays nested more than " + Limits.MAX_DEPTH
                    + " levels deep (the limit of a document)");
        }
    }

    /**
     * Appends the value as compact JSON-like text, as error messages and logs show it: strings quoted and
     * escaped, objects as {@code {"k":v}}, binary as {@code binary(<base64>)}, MISSING as {@code MISSING}.
     */
    static void appendText(StringBuilder sb, Value v) {
        if (v instanceof Str s) {
            sb.append('"');
            String t = s.value();
            for (int i = 0; i < t.length(); i++) {
                char c = t.charAt(i);
                if (c == '"' || c == '\\') sb.append('\\').append(c);
                else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
                else sb.append(c);
            }
            sb.append('"');
        } else if (v instanceof Arr a) {
            sb.append('[');
            for (int i = 0; i < a.size(); i++) {
                if (i > 0) sb.append(',');
                appendText(sb, a.items().get(i));
            }
            sb.append(']');
        } else if (v instanceof Obj o) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Value> e : o.fields().entrySet()) {
                if (!first) sb.append(',');
                first = false;
                appendText(sb, new Str(e.getKey()));
                sb.append(':');
                appendText(sb, e.getValue());
            }
            sb.append('}');
        } else {
            sb.append(v);
        }
    }

    /** The value of an absent field or of a path that leads nowhere. Never stored. */
    final class Missing implements Value {
        static final Missing INSTANCE = new Missing();

        private Missing() {}

        @Override
        public String typeName() {
            return "missing";
        }

        @Override
        public @Nullable Object toJava() {
            return null;
        }

        @Override
        public String toString() {
            return "MISSING";
        }
    }

    final class Null implements Value {
        static final Null INSTANCE = new Null();

        private Null() {}

        @Override
        public String typeName() {
            return "null";
        }

        @Override
        public @Nullable Object toJava() {
            return null;
        }

        @Override
        public String toString() {
            return "null";
        }
    }

    record Bool(boolean value) implements Value {
        @Override
        public String typeName() {
            return "boolean";
        }

        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String toString() {
            return Boolean.toString(value);
        }
    }

    /** A 64-bit signed integer. */
    record Int(long value) implements Value {
        @Override
        public String typeName() {
            return "number";
        }

        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String toString() {
            return Long.toString(value);
        }
    }

    /** A 64-bit float. Negative zero is normalised to zero so that equal numbers encode identically. */
    record Dbl(double value) implements Value {
        public Dbl {
            if (value == 0.0d) value = 0.0d;
        }

        @Override
        public String typeName() {
            return "number";
        }

        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String toString() {
            return Double.toString(value);
        }
    }

    record Str(String value) implements Value {
        public Str {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String typeName() {
            return "string";
        }

        @Override
        public Object toJava() {
            return value;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(value.length() + 2);
            appendText(sb, this);
            return sb.toString();
        }
    }

    /** Binary data. The array is copied in and out; the value stays immutable. */
    final class Bin implements Value {
        private final byte[] bytes;

        public Bin(byte[] bytes) {
            this.bytes = bytes.clone();
        }

        public byte[] bytes() {
            return bytes.clone();
        }

        public int length() {
            return bytes.length;
        }

        public byte byteAt(int i) {
            return bytes[i];
        }

        @Override
        public String typeName() {
            return "binary";
        }

        @Override
        public Object toJava() {
            return bytes.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bin b && Arrays.equals(bytes, b.bytes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "binary(" + Base64.getEncoder().encodeToString(bytes) + ")";
        }
    }

    /** An array. MISSING items become NULL (an array has no holes). Immutable. */
    final class Arr implements Value {
        public static final Arr EMPTY = new Arr(new ArrayList<>(0), true);

        private final List<Value> items;

        /** Copies {@code items}. */
        public Arr(List<Value> items) {
            this(new ArrayList<>(items), true);
        }

        // owns only tells this constructor apart from the public copying one
        private Arr(ArrayList<Value> owned, @SuppressWarnings("UnusedVariable") boolean owns) {
            for (int i = 0; i < owned.size(); i++) {
                Value v = Objects.requireNonNull(owned.get(i), "item");
                if (v == MISSING) owned.set(i, NULL);
            }
            this.items = Collections.unmodifiableList(owned);
        }

        /** Wraps {@code items} without copying: the caller hands the list over and must not touch it again. */
        public static Arr ofOwned(ArrayList<Value> items) {
            return new Arr(items, true);
        }

        public List<Value> items() {
            return items;
        }

        public int size() {
            return items.size();
        }

        public Value get(int i) {
            return i >= 0 && i < items.size() ? items.get(i) : MISSING;
        }

        @Override
        public String typeName() {
            return "array";
        }

        @Override
        public Object toJava() {
            List<Object> out = new ArrayList<>(items.size());
            for (Value v : items) out.add(v.toJava());
            return Collections.unmodifiableList(out);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Arr a && items.equals(a.items);
        }

        @Override
        public int hashCode() {
            return items.hashCode();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            appendText(sb, this);
            return sb.toString();
        }
    }

    /** An object. Keeps insertion order; MISSING fields are dropped. Immutable. */
    final class Obj implements Value {
        public static final Obj EMPTY = new Obj(new LinkedHashMap<>(), true);

        private final Map<String, Value> fields;

        /** Copies {@code fields}. */
        public Obj(Map<String, Value> fields) {
            this(new LinkedHashMap<>(fields), true);
        }

        // owns only tells this constructor apart from the public copying one
        private Obj(LinkedHashMap<String, Value> owned, @SuppressWarnings("UnusedVariable") boolean owns) {
            for (Iterator<Map.Entry<String, Value>> it = owned.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Value> e = it.next();
                Objects.requireNonNull(e.getKey(), "field name");
                if (Objects.requireNonNull(e.getValue(), "field value") == MISSING) it.remove();
            }
            this.fields = Collections.unmodifiableMap(owned);
        }

        /** Wraps {@code fields} without copying: the caller hands the map over and must not touch it again. */
        public static Obj ofOwned(LinkedHashMap<String, Value> fields) {
            return new Obj(fields, true);
        }

        private Obj(SmallFields fields) {
            this.fields = fields;
        }

        /**
         * The object of the first {@code count} names and values, in that order, MISSING values dropped, held in
         * arrays rather than a hash map (a lookup compares names one by one): for the small rows a scan's filter
         * reads, built for every row and mostly dropped at once. The names must differ and not be null. The names
         * are never changed (many objects may share them, and must, unchanged, for as long as they live); the caller
         * hands the values over and must not touch them again.
         */
        public static Obj ofFields(String[] names, Value[] values, int count) {
            if (count > names.length || count > values.length) throw new IllegalArgumentException("count " + count);
            int missing = 0;
            for (int i = 0; i < count; i++) {
                if (Objects.requireNonNull(values[i], "field value") == MISSING) missing++;
            }
            if (missing == 0) return new Obj(new SmallFields(names, values, count));
            String[] keptNames = new String[count - missing];
            Value[] kept = new Value[count - missing];
            int n = 0;
            for (int i = 0; i < count; i++) {
                if (values[i] == MISSING) continue;
                keptNames[n] = names[i];
                kept[n++] = values[i];
            }
            return new Obj(new SmallFields(keptNames, kept, n));
        }

        public Map<String, Value> fields() {
            return fields;
        }

        /** The field's value, or MISSING. */
        public Value get(String name) {
            Value v = fields.get(name);
            return v == null ? MISSING : v;
        }

        public int size() {
            return fields.size();
        }

        @Override
        public String typeName() {
            return "object";
        }

        @Override
        public Object toJava() {
            LinkedHashMap<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Value> e : fields.entrySet())
                out.put(e.getKey(), e.getValue().toJava());
            return Collections.unmodifiableMap(out);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Obj other && fields.equals(other.fields);
        }

        @Override
        public int hashCode() {
            return fields.hashCode();
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            appendText(sb, this);
            return sb.toString();
        }
    }

    /** The unmodifiable map of {@link Obj#ofFields}: a few names and values in arrays, in order. */
    final class SmallFields extends java.util.AbstractMap<String, Value> {
        private final String[] names;
        private final Value[] values;
        private final int size;

        private SmallFields(String[] names, Value[] values, int size) {
            this.names = names;
            this.values = values;
            this.size = size;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public @Nullable Value get(@Nullable Object key) {
            for (int i = 0; i < size; i++) if (names[i].equals(key)) return values[i];
            return null;
        }

        @Override
        public boolean containsKey(@Nullable Object key) {
            return get(key) != null;
        }

        @Override
        public java.util.Set<Map.Entry<String, Value>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public int size() {
                    return size;
                }

                @Override
                public Iterator<Map.Entry<String, Value>> iterator() {
                    return new Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < size;
                        }

                        @Override
                        public Map.Entry<String, Value> next() {
                            if (next >= size) throw new java.util.NoSuchElementException();
                            int i = next++;
                            return new java.util.AbstractMap.SimpleImmutableEntry<>(names[i], values[i]);
                        }
                    };
                }
            };
        }
    }
}
