package io.starling.internal.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.starling.internal.core.Value;
import io.starling.internal.core.ValueOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** ORDER BY sorts by ValueOrder and returns a permutation; LIKE agrees with a regex model. */
class OrderByPropertiesTest {

    @Property(tries = 500)
    void orderByIsASortedPermutation(@ForAll("fieldValues") List<Value> xs, @ForAll boolean descending) {
        InMemorySource src = new InMemorySource();
        for (int i = 0; i < xs.size(); i++) {
            Map<String, Value> doc = new HashMap<>();
            doc.put("_id", Value.of((long) i));
            doc.put("x", xs.get(i)); // MISSING is dropped by Value.Obj: the field is absent
            src.add("c", new Value.Obj(doc));
        }
        List<Value.Obj> out = Eval.select("SELECT * FROM c ORDER BY x" + (descending ? " DESC" : ""), src);
        assertThat(out).extracting(d -> d.get("_id")).containsExactlyInAnyOrderElementsOf(ids(xs.size()));
        for (int i = 1; i < out.size(); i++) {
            int c = ValueOrder.compare(out.get(i - 1).get("x"), out.get(i).get("x"));
            assertThat(descending ? -c : c).as("rows %d and %d", i - 1, i).isLessThanOrEqualTo(0);
        }
    }

    private static List<Value> ids(int n) {
        List<Value> ids = new ArrayList<>();
        for (long i = 0; i < n; i++) ids.add(Value.of(i));
        return ids;
    }

    @Provide
    Arbitrary<List<Value>> fieldValues() {
        Arbitrary<Value> scalar = Arbitraries.oneOf(
                Arbitraries.of(Value.MISSING, Value.NULL, Value.TRUE, Value.FALSE),
                Arbitraries.longs().between(-5, 5).map(Value::of),
                Arbitraries.doubles().between(-5, 5).map(Value::of),
                Arbitraries.strings().withChars("aAb").ofMaxLength(3).map(Value::of));
        Arbitrary<Value> array =
                scalar.filter(v -> v != Value.MISSING).list().ofMaxSize(2).map(Value.Arr::new);
        Arbitrary<Value> object = scalar.map(v -> (Value) new Value.Obj(Map.of("k", v)));
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(6, scalar),
                        net.jqwik.api.Tuple.of(1, array),
                        net.jqwik.api.Tuple.of(1, object))
                .list()
                .ofMaxSize(25);
    }

    @Property(tries = 1000)
    void likeAgreesWithARegexModel(
            @ForAll("likePatterns") String pattern,
            @ForAll("likeSubjects") String subject,
            @ForAll boolean ignoreCase) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            if (c == '%') regex.append(".*");
            else if (c == '_') regex.append('.');
            else regex.append(Pattern.quote(String.valueOf(c)));
        }
        int flags = Pattern.DOTALL | (ignoreCase ? Pattern.CASE_INSENSITIVE : 0);
        boolean expected =
                Pattern.compile(regex.toString(), flags).matcher(subject).matches();
        assertThat(LikePattern.compile(pattern, '\\', ignoreCase).matches(subject))
                .as("%s LIKE %s", subject, pattern)
                .isEqualTo(expected);
    }

    @Provide
    Arbitrary<String> likePatterns() {
        return Arbitraries.strings().withChars("abA%_").ofMaxLength(7);
    }

    @Provide
    Arbitrary<String> likeSubjects() {
        return Arbitraries.strings().withChars("abAB").ofMaxLength(8);
    }
}
