package io.starling.internal.query;

import io.starling.internal.core.Value;
import java.util.List;
import java.util.Map;

/** Test helpers: evaluate DQL expressions and run statements tersely. */
final class Eval {
    private Eval() {}

    static final long NOW = 1_717_243_200_000L; // 2024-06-01T12:00:00Z

    /** Evaluates a constant expression. */
    static Value value(String expr) {
        return eval(expr, Value.Obj.EMPTY, Map.of());
    }

    /** Evaluates an expression against a document written as a DQL object literal. */
    static Value eval(String expr, String doc) {
        return eval(expr, (Value.Obj) value(doc), Map.of());
    }

    static Value eval(String expr, Value.Obj doc, Map<String, Value> args) {
        Node n = Parser.parseExpression(expr);
        Env env = new Env(new EvalContext(args, NOW), 8);
        env.row = doc;
        return n.eval(env);
    }

    static EvalContext ctx() {
        return EvalContext.at(NOW);
    }

    static EvalContext ctx(Map<String, Value> args) {
        return new EvalContext(args, NOW);
    }

    static List<Value.Obj> select(String dql, DocumentSource src) {
        return QueryExecutor.select((SelectStatement) Dql.parse(dql), src, ctx());
    }

    static List<Value.Obj> select(String dql, DocumentSource src, Map<String, Value> args) {
        return QueryExecutor.select((SelectStatement) Dql.parse(dql), src, ctx(args));
    }

    /** The DQL text of a value, for compact assertions: {@code [1, 'a']}. */
    static String dql(Value v) {
        StringBuilder sb = new StringBuilder();
        Node.Literal.printValue(sb, v);
        return sb.toString();
    }

    static String dql(List<Value.Obj> rows) {
        StringBuilder sb = new StringBuilder();
        for (Value.Obj r : rows) {
            if (sb.length() > 0) sb.append(' ');
            Node.Literal.printValue(sb, r);
        }
        return sb.toString();
    }
}
