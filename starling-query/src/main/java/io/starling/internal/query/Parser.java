package io.starling.internal.query;

import io.starling.internal.core.Limits;
import io.starling.internal.core.Path;
import io.starling.internal.core.Value;
import io.starling.internal.index.IndexDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/*
 * Parser design note
 * ------------------
 * A hand-written recursive-descent parser over the token list from Lexer, one method per precedence level:
 *
 *   or -> and -> not -> comparison (= != < … BETWEEN IN LIKE ILIKE IS, left-associative)
 *      -> concat (||) -> additive (+ -) -> multiplicative (* / %) -> unary (- +) -> postfix (.f [i]) -> primary
 *
 * Why by hand: error messages must name what was expected and where ("line 1, column 10: expected FROM but
 * found 'FORM'"), keywords are contextual (DOCUMENTS, CONFLICT, VALUED… stay usable as field names), and the
 * parser does the resolution work so that evaluation never looks anything up:
 *
 *  - function names resolve to FunctionDef and are bound per call site (constant regexes compile here); an
 *    unknown function or a wrong argument count is INVALID at the name;
 *  - ANY/EVERY/ARRAY variables resolve to frame slots (slot = nesting depth). ARRAY's variable is declared
 *    after its mapping expression, so the parser scans ahead for the matching FOR before parsing the mapping;
 *  - aggregates get slots in the statement's aggregate list and are rejected where they cannot run (WHERE,
 *    GROUP BY, UPDATE, nested aggregates); projections, HAVING and ORDER BY of a grouping query may only use
 *    group keys, aggregates and constants;
 *  - static paths fold into one Field node (a.b[0]); a computed step (a[:i], f(x).y) becomes Member/Element;
 *  - `- 5` folds into the literal -5 (so Long.MIN_VALUE is writable); nothing else is constant-folded, which
 *    keeps printing and re-parsing an exact round trip.
 *
 * Source positions are not stored in the tree (so equality is structural); the parser keeps them in an
 * identity side table while it runs, for the errors it reports itself, and stores in the statements only the
 * few positions the executor needs (argument references, INSERT documents, APPLY amounts, LIMIT/OFFSET).
 */

/** Parses DQL statements and expressions; see the design note above. One instance per parse. */
final class Parser {
    private final List<Token> toks;
    private int p;
    private final List<ArgUse> argUses = new ArrayList<>();
    private final List<String> scope = new ArrayList<>();
    private int frameSize;
    private final IdentityHashMap<Node, Token> positions = new IdentityHashMap<>();
    private final IdentityHashMap<Node, Integer> depths = new IdentityHashMap<>();

    /** Where aggregates may appear right now (null: not allowed; the text names the clause for the error). */
    private @Nullable String aggregateContext;

    private String noAggregatesClause = "this clause";
    private boolean insideAggregate;
    private List<Node.Aggregate> aggregates = new ArrayList<>();
    private boolean fieldsAllowed = true;
    /** While parsing HAVING and ORDER BY: explicit projection aliases usable as names (null otherwise). */
    private @Nullable Map<String, Node> aliasScope;

    private Parser(String text) {
        this.toks = Lexer.tokenize(text);
    }

    // ---------------------------------------------------------------------------------------------- entry points

    static Statement parseStatement(String text) {
        checkLength(text, "statement");
        try {
            Parser ps = new Parser(text);
            if (ps.peek().type() == Token.Type.EOF || ps.peek().isSymbol(";")) {
                throw ps.syntax(ps.peek(), "empty statement");
            }
            Statement s = ps.statement();
            ps.acceptSymbol(";");
            ps.expectEnd();
            return s;
        } catch (StackOverflowError tooDeep) {
            throw tooDeep("statement");
        }
    }

    /**
     * Whether {@code text} is {@code SELECT * FROM *} — the subscription to every collection — with an optional
     * {@code ;}, comments and any spacing or case. False for any other statement (which the caller parses as usual).
     *
     * @throws DqlException INVALID, at the first token after {@code FROM *}, when something follows it (a WHERE, …)
     */
    static boolean isEveryCollection(String text) {
        checkLength(text, "statement");
        Parser ps = new Parser(text);
        if (ps.toks.size() < 5
                || !ps.peek(0).isWord("SELECT")
                || !ps.peek(1).isSymbol("*")
                || !ps.peek(2).isWord("FROM")
                || !ps.peek(3).isSymbol("*")) return false;
        ps.p = 4;
        ps.acceptSymbol(";");
        if (ps.peek().type() != Token.Type.EOF) {
            throw ps.invalid(
                    ps.peek(),
                    "SELECT * FROM * (every collection) takes nothing after FROM *: no WHERE, ORDER BY or LIMIT;"
                            + " subscribe to one collection to filter");
        }
        return true;
    }

    static Node parseExpression(String text) {
        return parseStandalone(text).node();
    }

    /** A standalone expression with what evaluating it needs: its argument references and its variable frame size. */
    record Standalone(Node node, List<ArgUse> argUses, int frameSize) {}

    /** {@link #parseExpression}, keeping the argument references and the frame size for evaluation. */
    static Standalone parseStandalone(String text) {
        checkLength(text, "expression");
        try {
            Parser ps = new Parser(text);
            if (ps.peek().type() == Token.Type.EOF) throw ps.syntax(ps.peek(), "empty expression");
            ps.aggregateContext = null;
            ps.noAggregatesClause = "a standalone expression";
            Node n = ps.expr();
            ps.expectEnd();
            return new Standalone(n, List.copyOf(ps.argUses), ps.frameSize);
        } catch (StackOverflowError tooDeep) {
            throw tooDeep("expression");
        }
    }

    /**
     * {@link #MAX_NESTING} keeps the recursion of the parser (a dozen frames per level) within the default thread
     * stack, but a thread made with a smaller stack may still run out: that is reported like any nesting beyond the
     * limit, not as an Error that would end the thread.
     */
    private static DqlException tooDeep(String what) {
        return new DqlException(
                DqlException.Kind.SYNTAX,
                "the " + what + " is nested too deeply for this thread's stack; nest fewer parentheses, brackets or"
                        + " sub-expressions");
    }

    /**
     * The longest statement text accepted, in UTF-16 characters (as SQLite's default {@code SQLITE_MAX_SQL_LENGTH}).
     * Parsing is linear in the text, but its tokens and tree take memory several times its size; large values belong
     * in named arguments, which are not parsed.
     */
    static final int MAX_TEXT_LENGTH = 1 << 20;

    /**
     * The most steps a path may have ({@code a.b[0].c} has four): {@link Limits#MAX_PATH_SEGMENTS}. No stored document
     * is deeper (every layer refuses deeper ones), so a longer path could never name a field.
     */
    static final int MAX_PATH_STEPS = Limits.MAX_PATH_SEGMENTS;

    private static void checkLength(String text, String what) {
        if (text.length() > MAX_TEXT_LENGTH) {
            throw new DqlException(
                    DqlException.Kind.SYNTAX,
                    "the " + what + " is " + text.length() + " characters long; the limit is " + MAX_TEXT_LENGTH
                            + ": pass large values as named arguments (:name) instead of writing them in the text");
        }
    }

    private void expectEnd() {
        Token t = peek();
        if (t.type() != Token.Type.EOF)
            throw syntax(t, "unexpected " + t.describe() + " after the end of the statement");
    }

    // ---------------------------------------------------------------------------------------------- tokens

    private Token peek() {
        return toks.get(p);
    }

    private Token peek(int ahead) {
        return toks.get(Math.min(p + ahead, toks.size() - 1));
    }

    private Token advance() {
        Token t = toks.get(p);
        if (t.type() != Token.Type.EOF) p++;
        return t;
    }

    private boolean atWord(String kw) {
        return peek().isWord(kw);
    }

    private boolean acceptWord(String kw) {
        if (atWord(kw)) {
            p++;
            return true;
        }
        return false;
    }

    private boolean acceptSymbol(String s) {
        if (peek().isSymbol(s)) {
            p++;
            return true;
        }
        return false;
    }

    private Token expectWord(String kw) {
        if (!atWord(kw)) throw expected(kw);
        return advance();
    }

    private Token expectSymbol(String s) {
        if (!peek().isSymbol(s)) throw expected("'" + s + "'");
        return advance();
    }

    private DqlException expected(String what) {
        return syntax(peek(), "expected " + what + " but found " + peek().describe());
    }

    private DqlException syntax(Token at, String msg) {
        return new DqlException(DqlException.Kind.SYNTAX, at.line(), at.column(), msg);
    }

    private DqlException invalid(Token at, String msg) {
        return new DqlException(DqlException.Kind.INVALID, at.line(), at.column(), msg);
    }

    private Token positionOf(Node n, Token fallback) {
        Token t = positions.get(n);
        return t == null ? fallback : t;
    }

    /**
     * Records where a node starts and checks the depth of the tree built so far: a long chain such as
     * {@code a + a + … + a} nests without recursion in the parser, but evaluation and printing recurse.
     */
    private <N extends Node> N at(Token t, N n) {
        positions.putIfAbsent(n, t);
        int depth = 1;
        for (Node c : children(n)) depth = Math.max(depth, depths.getOrDefault(c, 1) + 1);
        if (depth > MAX_DEPTH) {
            throw syntax(
                    t,
                    "expression is more than " + MAX_DEPTH
                            + " levels deep; split it, or use IN (…) for long lists of alternatives");
        }
        if (depth > 1) depths.put(n, depth);
        return n;
    }

    // ---------------------------------------------------------------------------------------------- statements

    private Statement statement() {
        Token t = peek();
        if (t.isWord("SELECT")) return select();
        if (t.isWord("INSERT")) return insert();
        if (t.isWord("UPDATE")) return update();
        if (t.isWord("DELETE") || t.isWord("EVICT")) return deleteOrEvict();
        if (t.isWord("CREATE")) return createIndex();
        if (t.isWord("DROP")) return dropIndex();
        if (t.isWord("EXPLAIN")) {
            advance();
            Token next = peek();
            if (!next.isWord("SELECT") && !next.isWord("UPDATE") && !next.isWord("DELETE") && !next.isWord("EVICT")) {
                throw expected("SELECT, UPDATE, DELETE or EVICT after EXPLAIN");
            }
            return new ExplainStatement(statement(), t.line(), t.column());
        }
        throw expected("SELECT, INSERT, UPDATE, DELETE, EVICT, CREATE, DROP or EXPLAIN");
    }

    private String identifier(String what) {
        Token t = peek();
        if (t.type() == Token.Type.QUOTED_IDENT || (t.type() == Token.Type.WORD && !Keywords.isReserved(t.text()))) {
            String problem = Limits.fieldNameProblem(t.text()); // every identifier may name a field
            if (problem != null) throw invalid(t, problem.replaceFirst("^field name", what));
            advance();
            return t.text();
        }
        throw expected(what);
    }

    /** A collection or index name: an identifier that also follows the rules for names (Limits#nameProblem). */
    private String name(String what, String expected) {
        Token t = peek();
        String name = identifier(expected);
        String problem = Limits.nameProblem(what, name);
        if (problem != null) throw invalid(t, problem);
        return name;
    }

    /** {@code [COLLECTION] name [(path type, …)]}; Ditto's type declarations are accepted and ignored. */
    private String collectionName() {
        boolean declared = atWord("COLLECTION")
                && (peek(1).type() == Token.Type.QUOTED_IDENT
                        || (peek(1).type() == Token.Type.WORD && !Keywords.isReserved(peek(1).text())));
        if (declared) advance();
        Token first = peek();
        if (first.isSymbol("*")) {
            throw invalid(
                    first,
                    "FROM * (every collection) is only a sync subscription, SELECT * FROM *; a statement names one"
                            + " collection");
        }
        String name = name("collection name", "a collection name");
        // system collections: system:indexes, system:collections, system:info (no spaces around ':')
        if (first.isWord("system")
                && peek().isSymbol(":")
                && peek().start() == first.end()
                && peek(1).type() == Token.Type.WORD
                && peek(1).start() == peek().end()) {
            advance();
            name = "system:" + advance().text().toLowerCase(java.util.Locale.ROOT);
        }
        if (declared && acceptSymbol("(")) {
            do {
                staticPath();
                identifier("a type (REGISTER, MAP, COUNTER or ATTACHMENT)");
            } while (acceptSymbol(","));
            expectSymbol(")");
        }
        return name;
    }

    static String collectionText(String name) {
        StringBuilder sb = new StringBuilder();
        Keywords.appendIdentifier(sb, name);
        return sb.toString();
    }

    private SelectStatement select() {
        expectWord("SELECT");
        boolean distinct = acceptWord("DISTINCT");
        List<SelectStatement.Projection> projections = new ArrayList<>();
        List<Token> projectionTokens = new ArrayList<>();
        boolean all = false;
        Token star = null;
        aggregateContext = "SELECT";
        if (peek().isSymbol("*")) {
            star = advance();
            all = true;
        } else {
            int unnamed = 0;
            Set<String> names = new HashSet<>();
            do {
                Token start = peek();
                Node e = expr();
                String name;
                boolean aliased = false;
                if (acceptWord("AS")) {
                    name = identifier("an alias");
                    aliased = true;
                } else if ((peek().type() == Token.Type.WORD && !Keywords.isReserved(peek().text()))
                        || peek().type() == Token.Type.QUOTED_IDENT) {
                    name = identifier("an alias");
                    aliased = true;
                } else {
                    name = derivedName(e);
                    if (name == null) name = "($" + (++unnamed) + ")";
                }
                if (!names.add(name)) {
                    throw invalid(start, "duplicate result name '" + name + "'; give one of them an alias with AS");
                }
                projections.add(new SelectStatement.Projection(e, name, aliased));
                projectionTokens.add(start);
            } while (acceptSymbol(","));
        }
        expectWord("FROM");
        String collection = collectionName();
        Node where = null;
        if (acceptWord("WHERE")) where = noAggregates("WHERE", this::expr);
        List<Node> groupBy = new ArrayList<>();
        Map<String, SelectStatement.Projection> aliased = new HashMap<>();
        IdentityHashMap<Node, Integer> aliasedIndex = new IdentityHashMap<>();
        for (int i = 0; i < projections.size(); i++) {
            SelectStatement.Projection pr = projections.get(i);
            if (pr.aliased()) {
                aliased.put(pr.name(), pr);
                aliasedIndex.put(pr.expr(), i);
            }
        }
        if (atWord("GROUP")) {
            advance();
            expectWord("BY");
            do {
                Token start = peek();
                Node g = noAggregates("GROUP BY", this::expr);
                SelectStatement.Projection aliasOf = aliasTarget(g, aliased);
                if (aliasOf != null) {
                    if (containsAggregate(aliasOf.expr())) {
                        throw invalid(start, "cannot GROUP BY '" + aliasOf.name() + "', it is an aggregate");
                    }
                    g = aliasOf.expr();
                }
                groupBy.add(g);
            } while (acceptSymbol(","));
        }
        Node having = null;
        Token havingToken = null;
        aggregateContext = "HAVING";
        aliasScope = new HashMap<>();
        for (SelectStatement.Projection pr : projections) if (pr.aliased()) aliasScope.put(pr.name(), pr.expr());
        if (atWord("HAVING")) {
            havingToken = advance();
            having = expr();
        }
        aggregateContext = "ORDER BY";
        List<SelectStatement.OrderItem> orderBy = new ArrayList<>();
        List<Token> orderTokens = new ArrayList<>();
        if (atWord("ORDER")) {
            advance();
            expectWord("BY");
            do {
                Token start = peek();
                Node e = expr();
                boolean desc = false;
                if (acceptWord("DESC")) desc = true;
                else acceptWord("ASC");
                Integer alias = aliasedIndex.get(e); // a bare alias resolves to its projection's very node
                orderBy.add(new SelectStatement.OrderItem(e, desc, alias == null ? -1 : alias));
                orderTokens.add(start);
            } while (acceptSymbol(","));
        }
        aggregateContext = null;
        aliasScope = null;
        SelectStatement.Bound limit = null, offset = null;
        for (int i = 0; i < 2; i++) {
            if (limit == null && atWord("LIMIT")) {
                advance();
                limit = bound("LIMIT");
            } else if (offset == null && atWord("OFFSET")) {
                advance();
                offset = bound("OFFSET");
            }
        }
        boolean grouping = !groupBy.isEmpty() || !aggregates.isEmpty();
        if (grouping) {
            if (star != null) throw invalid(star, "SELECT * cannot be combined with GROUP BY or aggregates");
            Set<Node> groupKeys = new HashSet<>(groupBy);
            for (int i = 0; i < projections.size(); i++) {
                checkGroupSafe(projections.get(i).expr(), groupKeys, projectionTokens.get(i));
            }
            if (having != null) checkGroupSafe(having, groupKeys, Objects.requireNonNull(havingToken));
            for (int i = 0; i < orderBy.size(); i++) {
                if (orderBy.get(i).projectionIndex() < 0)
                    checkGroupSafe(orderBy.get(i).expr(), groupKeys, orderTokens.get(i));
            }
        } else if (having != null) {
            throw invalid(Objects.requireNonNull(havingToken), "HAVING needs GROUP BY or an aggregate");
        }
        return new SelectStatement(
                collection,
                distinct,
                all,
                projections,
                where,
                groupBy,
                having,
                orderBy,
                limit,
                offset,
                aggregates,
                argUses,
                frameSize);
    }

    /** The name a projection gets without an alias: the last field name of a path, else null. */
    private static @Nullable String derivedName(Node e) {
        if (e instanceof Node.Field f && f.path().last() instanceof Path.Key k) return k.name();
        if (e instanceof Node.Member m) return m.name();
        return null;
    }

    /** The projection a GROUP BY item names when it is a bare identifier equal to an alias. */
    private static SelectStatement.@Nullable Projection aliasTarget(
            Node e, Map<String, SelectStatement.Projection> aliased) {
        if (!(e instanceof Node.Field f) || f.path().length() != 1 || !(f.path().first() instanceof Path.Key k))
            return null;
        return aliased.get(k.name());
    }

    private SelectStatement.Bound bound(String clause) {
        Token t = peek();
        Node n;
        if (t.type() == Token.Type.INTEGER) {
            advance();
            n = integerLiteral(t, false);
            if (!(((Node.Literal) n).value() instanceof Value.Int)) {
                throw invalid(t, clause + " must be a non-negative integer but was " + t.text());
            }
        } else if (t.isSymbol(":")) {
            n = argument();
        } else if (t.isSymbol("-") || t.type() == Token.Type.DECIMAL) {
            String text = t.isSymbol("-") ? "-" + peek(1).text() : t.text();
            throw invalid(t, clause + " must be a non-negative integer but was " + text);
        } else {
            throw expected("an integer or an :argument after " + clause);
        }
        return new SelectStatement.Bound(n, t.line(), t.column());
    }

    private void checkGroupSafe(Node n, Set<Node> groupBy, Token fallback) {
        if (groupBy.contains(n)
                || n instanceof Node.Aggregate
                || n instanceof Node.Literal
                || n instanceof Node.Arg
                || n instanceof Node.VarPath) {
            return;
        }
        if (n instanceof Node.Field f) {
            throw invalid(
                    positionOf(n, fallback), "'" + f.toDql() + "' must appear in GROUP BY or inside an aggregate");
        }
        for (Node c : children(n)) checkGroupSafe(c, groupBy, positionOf(n, fallback));
    }

    private static boolean containsAggregate(Node n) {
        if (n instanceof Node.Aggregate) return true;
        for (Node c : children(n)) if (containsAggregate(c)) return true;
        return false;
    }

    /** The direct sub-expressions of a node (for parse-time checks). */
    static List<Node> children(Node n) {
        List<Node> out = new ArrayList<>();
        if (n instanceof Node.Member m) out.add(m.base());
        else if (n instanceof Node.Element e) {
            out.add(e.base());
            out.add(e.index());
        } else if (n instanceof Node.Neg x) out.add(x.operand());
        else if (n instanceof Node.Not x) out.add(x.operand());
        else if (n instanceof Node.Binary b) {
            out.add(b.left());
            out.add(b.right());
        } else if (n instanceof Node.Between b) {
            out.add(b.value());
            out.add(b.low());
            out.add(b.high());
        } else if (n instanceof Node.In i) {
            out.add(i.value());
            out.add(i.list());
        } else if (n instanceof Node.Like l) out.addAll(l.parts());
        else if (n instanceof Node.Is i) out.add(i.value());
        else if (n instanceof Node.Case c) {
            if (c.operand() != null) out.add(c.operand());
            for (Node.WhenThen w : c.whens()) {
                out.add(w.when());
                out.add(w.then());
            }
            if (c.otherwise() != null) out.add(c.otherwise());
        } else if (n instanceof Node.ArrayCtor a) out.addAll(a.items);
        else if (n instanceof Node.ObjectCtor o) {
            for (Node.Entry e : o.entries) out.add(e.value());
        } else if (n instanceof Node.Call c) out.addAll(c.args);
        else if (n instanceof Node.Aggregate a) {
            if (a.argument() != null) out.add(a.argument());
        } else if (n instanceof Node.Quantified q) {
            out.add(q.source());
            out.add(q.condition());
        } else if (n instanceof Node.ArrayFor f) {
            out.add(f.mapping());
            out.add(f.source());
            if (f.condition() != null) out.add(f.condition());
        }
        return out;
    }

    private InsertStatement insert() {
        expectWord("INSERT");
        expectWord("INTO");
        String collection = collectionName();
        boolean initial = acceptWord("INITIAL");
        if (!atWord("DOCUMENTS")) throw expected(initial ? "DOCUMENTS" : "DOCUMENTS or INITIAL DOCUMENTS");
        advance();
        List<Node> docs = new ArrayList<>();
        List<int[]> docPositions = new ArrayList<>();
        boolean savedFields = fieldsAllowed;
        fieldsAllowed = false;
        do {
            expectSymbol("(");
            Token start = peek();
            Node d = noAggregates("INSERT", this::expr);
            expectSymbol(")");
            Value constant =
                    d instanceof Node.Literal l ? l.value() : d instanceof Node.ArrayCtor a ? a.constant : null;
            String problem = constant == null ? null : QueryExecutor.documentsProblem(constant);
            if (problem != null) throw invalid(start, problem);
            docs.add(d);
            docPositions.add(new int[] {start.line(), start.column()});
        } while (acceptSymbol(","));
        fieldsAllowed = savedFields;
        InsertStatement.OnIdConflict policy = InsertStatement.OnIdConflict.FAIL;
        if (atWord("ON")) {
            Token on = advance();
            expectWord("ID");
            expectWord("CONFLICT");
            if (acceptWord("FAIL")) {
                policy = InsertStatement.OnIdConflict.FAIL;
            } else if (acceptWord("DO")) {
                if (acceptWord("NOTHING")) policy = InsertStatement.OnIdConflict.DO_NOTHING;
                else if (acceptWord("UPDATE")) policy = InsertStatement.OnIdConflict.DO_UPDATE;
                else if (acceptWord("UPDATE_LOCAL_DIFF")) policy = InsertStatement.OnIdConflict.DO_UPDATE_LOCAL_DIFF;
                else throw expected("NOTHING, UPDATE or UPDATE_LOCAL_DIFF");
            } else {
                throw expected("FAIL or DO");
            }
            if (initial)
                throw invalid(
                        on, "INITIAL DOCUMENTS cannot have an ON ID CONFLICT clause; it never overrides a document");
        }
        return new InsertStatement(collection, docs, docPositions, policy, initial, argUses, frameSize);
    }

    /** One written path of an UPDATE, for the overlap check. */
    private record Written(Path path, String clause, Token at) {}

    private UpdateStatement update() {
        expectWord("UPDATE");
        String collection = collectionName();
        List<UpdateStatement.Clause> clauses = new ArrayList<>();
        WrittenPaths written = new WrittenPaths();
        String previousAggregateClause = noAggregatesClause;
        noAggregatesClause = "UPDATE";
        aggregateContext = null;
        while (true) {
            if (acceptWord("SET")) {
                do {
                    Token at = peek();
                    Path path = updatePath(written, "SET", at);
                    expectSymbol("=");
                    clauses.add(new UpdateStatement.Set(path, expr()));
                } while (acceptSymbol(","));
            } else if (acceptWord("UNSET")) {
                do {
                    Token at = peek();
                    clauses.add(new UpdateStatement.Unset(updatePath(written, "UNSET", at)));
                } while (acceptSymbol(","));
            } else if (acceptWord("APPLY")) {
                do {
                    Token at = peek();
                    Path path = updatePath(written, "APPLY", at);
                    for (Path.Segment seg : path.segments()) {
                        if (seg instanceof Path.Index) {
                            throw invalid(
                                    at,
                                    "APPLY needs a field path without array positions, not " + pathText(path)
                                            + " (a counter cannot live inside an array)");
                        }
                    }
                    if (acceptWord("INCREMENT") || acceptWord("PN_INCREMENT")) {
                        expectWord("BY");
                        clauses.add(applyClause(path, UpdateStatement.ApplyKind.INCREMENT, "INCREMENT BY"));
                    } else if (acceptWord("RESTART")) {
                        if (acceptWord("WITH")) {
                            clauses.add(applyClause(path, UpdateStatement.ApplyKind.RESTART, "RESTART WITH"));
                        } else {
                            clauses.add(new UpdateStatement.Apply(
                                    path,
                                    UpdateStatement.ApplyKind.RESTART,
                                    new Node.Literal(Value.of(0L)),
                                    at.line(),
                                    at.column()));
                        }
                    } else {
                        throw expected("INCREMENT BY, PN_INCREMENT BY or RESTART");
                    }
                } while (acceptSymbol(","));
            } else {
                break;
            }
        }
        if (clauses.isEmpty()) throw expected("SET, UNSET or APPLY");
        Node where = null;
        if (acceptWord("WHERE")) where = noAggregates("WHERE", this::expr);
        noAggregatesClause = previousAggregateClause;
        return new UpdateStatement(collection, clauses, where, argUses, frameSize);
    }

    private UpdateStatement.Apply applyClause(Path path, UpdateStatement.ApplyKind kind, String what) {
        Token at = peek();
        Node amount = expr();
        if (amount instanceof Node.Literal l && !l.value().isNumber()) {
            throw invalid(at, what + " needs a number but got " + l.toDql());
        }
        if (amount instanceof Node.ArrayCtor || amount instanceof Node.ObjectCtor) {
            throw invalid(at, what + " needs a number but got " + amount.toDql());
        }
        return new UpdateStatement.Apply(path, kind, amount, at.line(), at.column());
    }

    private Path updatePath(WrittenPaths written, String clause, Token at) {
        Path path = staticPath();
        if (path.first() instanceof Path.Key k && k.name().equals("_id")) {
            throw invalid(at, "_id is immutable; it cannot be changed by " + clause);
        }
        Written w = written.overlapping(path);
        if (WrittenPaths.TOO_MANY.equals(w)) {
            throw invalid(
                    at,
                    "this UPDATE writes too many paths with negative array positions to check them for overlaps;"
                            + " split it into several statements");
        }
        if (w != null) {
            String how = w.path().equals(path) ? "is already written" : "overlaps " + pathText(w.path());
            throw invalid(
                    at,
                    clause + " " + pathText(path) + " " + how + " by " + w.clause() + " at line " + w.at().line()
                            + ", column " + w.at().column() + "; a statement may write each field once");
        }
        written.add(new Written(path, clause, at));
        return path;
    }

    /**
     * The paths an UPDATE wrote so far, as a trie, so that each new path is checked against all of them in time
     * proportional to its own length (a pairwise check is quadratic in the number of clauses). Two paths overlap
     * when one is a prefix of the other, positions compared as {@link #overlaps} does: all negative positions share
     * one child (a negative position aliases every position, including another negative one), and a new negative
     * position is compared with every position child — the only search that fans out, so it has a budget.
     */
    private static final class WrittenPaths {
        static final Written TOO_MANY = new Written(Path.of("_"), "", new Token(Token.Type.EOF, "", 0, 0, 0, 0));
        private static final int BUDGET = 1 << 20;

        private final Step root = new Step();
        private int steps;

        private static final class Step {
            final Map<String, Step> keys = new HashMap<>();
            final Map<Integer, Step> positions = new HashMap<>();

            @Nullable
            Step negative;
            /** A written path that ends here. */
            @Nullable
            Written here;
            /** The first written path that ends here or below. */
            @Nullable
            Written below;
        }

        void add(Written w) {
            Step n = root;
            for (Path.Segment s : w.path().segments()) {
                if (n.below == null) n.below = w;
                if (s instanceof Path.Key k) n = n.keys.computeIfAbsent(k.name(), x -> new Step());
                else if (((Path.Index) s).index() < 0) {
                    if (n.negative == null) n.negative = new Step();
                    n = n.negative;
                } else n = n.positions.computeIfAbsent(((Path.Index) s).index(), x -> new Step());
            }
            if (n.below == null) n.below = w;
            if (n.here == null) n.here = w;
        }

        /** A written path overlapping {@code p}, null when none does, {@link #TOO_MANY} when the budget ran out. */
        @Nullable
        Written overlapping(Path p) {
            return find(root, p.segments(), 0);
        }

        private @Nullable Written find(@Nullable Step n, List<Path.Segment> segs, int i) {
            if (n == null) return null;
            if (++steps > BUDGET) return TOO_MANY;
            if (n.here != null) return n.here; // a written path is a prefix of p (or p itself)
            if (i == segs.size()) return n.below; // p is a prefix of a written path
            Path.Segment s = segs.get(i);
            if (s instanceof Path.Key k) return find(n.keys.get(k.name()), segs, i + 1);
            int index = ((Path.Index) s).index();
            if (index >= 0) {
                Written w = find(n.positions.get(index), segs, i + 1);
                return w != null ? w : find(n.negative, segs, i + 1);
            }
            Written w = find(n.negative, segs, i + 1);
            if (w != null) return w;
            for (Step child : n.positions.values()) {
                w = find(child, segs, i + 1);
                if (w != null) return w;
            }
            return null;
        }
    }

    /** True when one path is a prefix of the other (a negative index may alias any index). */
    static boolean overlaps(Path a, Path b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            Path.Segment x = a.segments().get(i), y = b.segments().get(i);
            if (x instanceof Path.Index xi && y instanceof Path.Index yi) {
                if (xi.index() != yi.index() && xi.index() >= 0 && yi.index() >= 0) return false;
            } else if (!x.equals(y)) {
                return false;
            }
        }
        return true;
    }

    private static String pathText(Path p) {
        StringBuilder sb = new StringBuilder();
        Node.printSegments(sb, p.segments(), false);
        return sb.toString();
    }

    /** A path of field names and constant indexes: {@code a.b[0].`c d`} or {@code a['x']}. */
    private Path staticPath() {
        return staticPath(true);
    }

    /** As {@link #staticPath()}; without {@code positions}, an array position is INVALID at its bracket. */
    private Path staticPath(boolean positions) {
        List<Path.Segment> segs = new ArrayList<>();
        segs.add(new Path.Key(identifier("a field path")));
        while (true) {
            if (peek().isSymbol(".") || peek().isSymbol("[")) checkPathLength(segs.size(), peek());
            if (peek().isSymbol(".")) {
                advance();
                segs.add(new Path.Key(fieldNameAfterDot()));
            } else if (peek().isSymbol("[")) {
                Token open = advance();
                Node idx = expr();
                expectSymbol("]");
                Path.Segment s = staticSegment(idx);
                if (s == null)
                    throw invalid(open, "a path here must be static: use a constant index or field name in [ ]");
                if (!positions && s instanceof Path.Index) {
                    throw invalid(
                            open,
                            "an index field is a field path without array positions, not "
                                    + pathText(new Path(segs).child(s)));
                }
                segs.add(s);
            } else {
                break;
            }
        }
        return new Path(segs);
    }

    /** Refuses a path step past {@link #MAX_PATH_STEPS} (at the token of the step). */
    private void checkPathLength(int steps, Token at) {
        if (steps >= MAX_PATH_STEPS) {
            throw syntax(
                    at,
                    "path has more than " + MAX_PATH_STEPS + " steps; no document is that deep, so it could never"
                            + " name a field");
        }
    }

    private String fieldNameAfterDot() {
        Token t = peek();
        if (t.type() == Token.Type.WORD || t.type() == Token.Type.QUOTED_IDENT) {
            advance();
            return t.text();
        }
        throw expected("a field name after '.'");
    }

    private static Path.@Nullable Segment staticSegment(Node idx) {
        if (idx instanceof Node.Literal l) {
            if (l.value() instanceof Value.Int i && i.value() >= Integer.MIN_VALUE && i.value() <= Integer.MAX_VALUE) {
                return new Path.Index((int) i.value());
            }
            if (l.value() instanceof Value.Str s) return new Path.Key(s.value());
        }
        return null;
    }

    private Statement deleteOrEvict() {
        boolean delete = advance().isWord("DELETE");
        expectWord("FROM");
        String collection = collectionName();
        Node where = null;
        if (acceptWord("WHERE")) where = noAggregates("WHERE", this::expr);
        return delete
                ? new DeleteStatement(collection, where, argUses, frameSize)
                : new EvictStatement(collection, where, argUses, frameSize);
    }

    /**
     * {@code CREATE INDEX [IF NOT EXISTS] name ON coll (path [ASC|DESC], …)}, or Ditto's {@code coll.name} form. The
     * paths are field paths: an array position is INVALID at its bracket, a path listed twice at the second one.
     */
    private Statement createIndex() {
        Token t = expectWord("CREATE");
        expectWord("INDEX");
        boolean ifNotExists = false;
        if (atIfClause()) {
            advance();
            expectWord("NOT");
            expectWord("EXISTS");
            ifNotExists = true;
        }
        String[] nameAndCollection = indexNameAndCollection();
        expectSymbol("(");
        List<IndexDefinition.Field> fields = new ArrayList<>();
        Set<Path> seen = new HashSet<>();
        do {
            Token at = peek();
            Path path = staticPath(false);
            if (!seen.add(path)) throw invalid(at, "index field " + pathText(path) + " is listed twice");
            boolean descending = acceptWord("DESC");
            if (!descending) acceptWord("ASC");
            fields.add(new IndexDefinition.Field(path, descending));
        } while (acceptSymbol(","));
        expectSymbol(")");
        IndexDefinition index = new IndexDefinition(nameAndCollection[0], nameAndCollection[1], fields);
        return new CreateIndexStatement(index, ifNotExists, t.line(), t.column());
    }

    /** {@code DROP INDEX [IF EXISTS] name ON coll}, or {@code DROP INDEX [IF EXISTS] coll.name}. */
    private Statement dropIndex() {
        Token t = expectWord("DROP");
        expectWord("INDEX");
        boolean ifExists = false;
        if (atIfClause()) {
            advance();
            expectWord("EXISTS");
            ifExists = true;
        }
        String[] nameAndCollection = indexNameAndCollection();
        return new DropIndexStatement(nameAndCollection[0], nameAndCollection[1], ifExists, t.line(), t.column());
    }

    /** At IF that starts IF [NOT] EXISTS, rather than an index named {@code if} ({@code DROP INDEX if ON c}). */
    private boolean atIfClause() {
        return atWord("IF") && !peek(1).isWord("ON") && !peek(1).isSymbol(".") && !peek(1).isSymbol("(");
    }

    /** {@code name ON collection} or {@code collection.name}: returns {name, collection}. */
    private String[] indexNameAndCollection() {
        Token at = peek();
        String first = identifier("an index name");
        if (acceptSymbol(".")) {
            String problem = Limits.nameProblem("collection name", first);
            if (problem != null) throw invalid(at, problem);
            return new String[] {name("index name", "an index name after '" + first + ".'"), first};
        }
        String problem = Limits.nameProblem("index name", first);
        if (problem != null) throw invalid(at, problem);
        expectWord("ON");
        return new String[] {first, name("collection name", "a collection name")};
    }

    // ---------------------------------------------------------------------------------------------- expressions

    private interface Production {
        Node parse();
    }

    private Node noAggregates(String clause, Production prod) {
        String savedContext = aggregateContext, savedClause = noAggregatesClause;
        aggregateContext = null;
        noAggregatesClause = clause;
        try {
            return prod.parse();
        } finally {
            aggregateContext = savedContext;
            noAggregatesClause = savedClause;
        }
    }

    /**
     * Deeper parser recursion (parentheses, NOT, unary minus) is refused: hostile input cannot overflow the stack.
     * Room for object and array literals as deep as a document may be, inside an expression or two.
     */
    static final int MAX_NESTING = 2 * Limits.MAX_DEPTH;
    /** The deepest expression tree accepted (evaluation and printing recurse over it). */
    static final int MAX_DEPTH = 1000;

    private int nesting;
    /** Object and array literals open around the current token. */
    private int literalDepth;

    /** A literal nested deeper than a document may be could never be stored: refused where it starts. */
    private void enterLiteral(Token open) {
        if (++literalDepth > Limits.MAX_DEPTH) {
            throw invalid(
                    open,
                    "object and array literals nest more than " + Limits.MAX_DEPTH
                            + " levels deep (the limit of a document)");
        }
    }

    Node expr() {
        enter();
        try {
            return or();
        } finally {
            nesting--;
        }
    }

    private void enter() {
        if (++nesting > MAX_NESTING) {
            throw syntax(peek(), "expression nested more than " + MAX_NESTING + " levels deep");
        }
    }

    private Node or() {
        Node left = and();
        while (atWord("OR")) {
            Token t = advance();
            left = at(t, new Node.Binary(Node.BinaryOp.OR, left, and()));
        }
        return left;
    }

    private Node and() {
        Node left = not();
        while (atWord("AND")) {
            Token t = advance();
            left = at(t, new Node.Binary(Node.BinaryOp.AND, left, not()));
        }
        return left;
    }

    private Node not() {
        if (atWord("NOT")) {
            Token t = advance();
            enter();
            try {
                return at(t, new Node.Not(not()));
            } finally {
                nesting--;
            }
        }
        return comparison();
    }

    private Node comparison() {
        Node left = concat();
        while (true) {
            Token t = peek();
            Node.BinaryOp op = comparisonOp(t);
            if (op != null) {
                advance();
                left = at(t, new Node.Binary(op, left, concat()));
                continue;
            }
            boolean negated = false;
            if (t.isWord("NOT")
                    && (peek(1).isWord("BETWEEN")
                            || peek(1).isWord("IN")
                            || peek(1).isWord("LIKE")
                            || peek(1).isWord("ILIKE"))) {
                advance();
                negated = true;
                t = peek();
            }
            if (t.isWord("BETWEEN")) {
                advance();
                Node low = concat();
                expectWord("AND");
                left = at(t, new Node.Between(left, low, concat(), negated));
            } else if (t.isWord("IN")) {
                advance();
                left = at(t, new Node.In(left, inList(), negated));
            } else if (t.isWord("LIKE") || t.isWord("ILIKE")) {
                advance();
                Node pattern = concat();
                Node escape = acceptWord("ESCAPE") ? concat() : null;
                Node.Like like = new Node.Like(left, pattern, escape, negated, t.isWord("ILIKE"));
                String problem = like.constantProblem();
                if (problem != null) throw invalid(t, problem);
                left = at(t, like);
            } else if (t.isWord("IS")) {
                advance();
                boolean not = acceptWord("NOT");
                Node.IsKind kind;
                if (acceptWord("NULL")) kind = Node.IsKind.NULL;
                else if (acceptWord("MISSING")) kind = Node.IsKind.MISSING;
                else if (acceptWord("VALUED")) kind = Node.IsKind.VALUED;
                else throw expected("NULL, MISSING or VALUED after IS" + (not ? " NOT" : ""));
                left = at(t, new Node.Is(left, kind, not));
            } else {
                return left;
            }
        }
    }

    private static Node.@Nullable BinaryOp comparisonOp(Token t) {
        if (t.type() != Token.Type.SYMBOL) return null;
        switch (t.text()) {
            case "=":
            case "==":
                return Node.BinaryOp.EQ;
            case "!=":
            case "<>":
                return Node.BinaryOp.NE;
            case "<":
                return Node.BinaryOp.LT;
            case "<=":
                return Node.BinaryOp.LE;
            case ">":
                return Node.BinaryOp.GT;
            case ">=":
                return Node.BinaryOp.GE;
            default:
                return null;
        }
    }

    /**
     * After IN: {@code (a, b, …)} and {@code ()} are arrays; a parenthesised single expression is just that
     * expression ({@code x IN (:arr)}); anything else is an operand ({@code :arr}, {@code [..]}, a field).
     */
    private Node inList() {
        Token open = peek();
        if (!open.isSymbol("(") || !parenthesisedList()) return concat();
        advance();
        List<Node> items = new ArrayList<>();
        if (!peek().isSymbol(")")) {
            do items.add(expr());
            while (acceptSymbol(","));
        }
        expectSymbol(")");
        return at(open, new Node.ArrayCtor(items));
    }

    /** At a '(': true when the group is empty or has a comma at its top level. */
    private boolean parenthesisedList() {
        return groups().list[p];
    }

    /**
     * What the parser needs to know ahead of the token it is at, computed in one pass over the tokens the first time
     * it is asked for (a scan ahead at each {@code (} or {@code ARRAY} would make nested ones quadratic):
     * <ul>
     *   <li>{@code list[i]} for a {@code (} at {@code i}: the group is empty or has a comma at its top level;
     *   <li>{@code forOf[i]} for an {@code ARRAY} at {@code i}: the index of the {@code FOR} that belongs to it — the
     *       first one outside any bracket or {@code CASE/ANY/EVERY/ARRAY … END} block opened after it — or -1.
     * </ul>
     * Brackets of any kind nest together; a closing bracket or an {@code END} that meets an unfinished
     * {@code ARRAY} ends its search.
     */
    private record Groups(boolean[] list, int[] forOf) {}

    private @Nullable Groups groups;

    private Groups groups() {
        if (groups != null) return groups;
        int n = toks.size();
        boolean[] list = new boolean[n];
        int[] forOf = new int[n];
        java.util.Arrays.fill(forOf, -1);
        // one stack of open constructs: BRACKET, BLOCK (CASE, ANY, EVERY, or an ARRAY whose FOR was found), or the
        // token index of an ARRAY still looking for its FOR
        final int bracket = -1, block = -2;
        int[] stack = new int[n];
        int[] opener = new int[n]; // for a BRACKET entry: the token index of its opening bracket
        int top = 0;
        for (int i = 0; i < n; i++) {
            Token t = toks.get(i);
            if (t.type() == Token.Type.EOF) break;
            if (t.isSymbol("(") || t.isSymbol("[") || t.isSymbol("{")) {
                opener[top] = i;
                stack[top++] = bracket;
            } else if (t.isSymbol(")") || t.isSymbol("]") || t.isSymbol("}")) {
                while (top > 0 && stack[top - 1] != bracket) top--; // unfinished blocks inside end here
                if (top > 0) {
                    int open = opener[--top];
                    if (i == open + 1) list[open] = true;
                }
            } else if (t.isSymbol(",")) {
                if (top > 0 && stack[top - 1] == bracket) list[opener[top - 1]] = true;
            } else if (t.isWord("CASE") || t.isWord("ANY") || t.isWord("EVERY")) {
                stack[top++] = block;
            } else if (t.isWord("ARRAY")) {
                stack[top++] = i;
            } else if (t.isWord("END")) {
                if (top > 0 && stack[top - 1] != bracket) top--;
            } else if (t.isWord("FOR") && top > 0 && stack[top - 1] >= 0) {
                forOf[stack[top - 1]] = i;
                stack[top - 1] = block;
            }
        }
        Groups computed = new Groups(list, forOf);
        groups = computed;
        return computed;
    }

    private Node concat() {
        Node left = additive();
        while (peek().isSymbol("||")) {
            Token t = advance();
            left = at(t, new Node.Binary(Node.BinaryOp.CONCAT, left, additive()));
        }
        return left;
    }

    private Node additive() {
        Node left = multiplicative();
        while (peek().isSymbol("+") || peek().isSymbol("-")) {
            Token t = advance();
            left = at(
                    t,
                    new Node.Binary(
                            t.text().equals("+") ? Node.BinaryOp.ADD : Node.BinaryOp.SUB, left, multiplicative()));
        }
        return left;
    }

    private Node multiplicative() {
        Node left = unary();
        while (peek().isSymbol("*") || peek().isSymbol("/") || peek().isSymbol("%")) {
            Token t = advance();
            Node.BinaryOp op = t.text().equals("*")
                    ? Node.BinaryOp.MUL
                    : t.text().equals("/") ? Node.BinaryOp.DIV : Node.BinaryOp.MOD;
            left = at(t, new Node.Binary(op, left, unary()));
        }
        return left;
    }

    private Node unary() {
        Token t = peek();
        if (t.isSymbol("-")) {
            advance();
            Token n = peek();
            if (n.type() == Token.Type.INTEGER) {
                advance();
                return at(t, integerLiteral(n, true));
            }
            if (n.type() == Token.Type.DECIMAL) {
                advance();
                return at(t, decimalLiteral(n, true));
            }
            enter();
            try {
                return at(t, new Node.Neg(unary()));
            } finally {
                nesting--;
            }
        }
        if (t.isSymbol("+")) {
            advance();
            enter();
            try {
                return unary();
            } finally {
                nesting--;
            }
        }
        return postfix(primary());
    }

    /**
     * An integer literal: a 64-bit integer, or a syntax error when out of range. It never silently becomes a float
     * (which would lose digits); a float is written with a point or an exponent.
     */
    private Node.Literal integerLiteral(Token t, boolean negative) {
        String text = negative ? "-" + t.text() : t.text();
        try {
            return new Node.Literal(Value.of(Long.parseLong(text)));
        } catch (NumberFormatException tooBig) {
            String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
            throw syntax(
                    t,
                    "integer " + shown + " is out of the 64-bit range (" + Long.MIN_VALUE + " to " + Long.MAX_VALUE
                            + "); write a float with a point or an exponent (" + shown + ".0) if that is meant");
        }
    }

    private Node.Literal decimalLiteral(Token t, boolean negative) {
        double d = Double.parseDouble(t.text());
        if (Double.isInfinite(d)) throw syntax(t, "number out of range: " + t.text());
        return new Node.Literal(Value.of(negative ? -d : d));
    }

    /**
     * Postfix steps: static ones extend a path, computed ones wrap the base. On a Field or VarPath base the static
     * steps are gathered and the path is built once (so {@code (a).b} and {@code a.b} are the same tree, and a long
     * path costs time in proportion to its length); on any other base a key becomes a Member and an index an Element.
     */
    private Node postfix(Node base) {
        List<Path.Segment> pending = new ArrayList<>(); // static steps not yet applied to a Field/VarPath base
        Token last = null; // the token of the latest pending step
        while (true) {
            Token t = peek();
            boolean grows = base instanceof Node.Field || base instanceof Node.VarPath;
            if (t.isSymbol(".")) {
                if (grows) checkPathLength(pathLength(base) + pending.size(), t);
                advance();
                Path.Segment s = new Path.Key(fieldNameAfterDot());
                if (grows) {
                    pending.add(s);
                    last = t;
                } else {
                    base = at(t, new Node.Member(base, ((Path.Key) s).name()));
                }
            } else if (t.isSymbol("[")) {
                advance();
                Node idx = expr();
                expectSymbol("]");
                Path.Segment s = staticSegment(idx);
                if (s != null && grows) {
                    checkPathLength(pathLength(base) + pending.size(), t);
                    pending.add(s);
                    last = t;
                } else {
                    if (!pending.isEmpty()) {
                        base = at(Objects.requireNonNull(last, "pending steps have a token"), extend(base, pending));
                        pending.clear();
                    }
                    base = at(
                            t, s instanceof Path.Key k ? new Node.Member(base, k.name()) : new Node.Element(base, idx));
                }
            } else {
                return pending.isEmpty()
                        ? base
                        : at(Objects.requireNonNull(last, "pending steps have a token"), extend(base, pending));
            }
        }
    }

    private static int pathLength(Node base) {
        return base instanceof Node.Field f
                ? f.path().length()
                : 1 + ((Node.VarPath) base).rest().size();
    }

    /** A Field or VarPath with static steps appended. */
    private static Node extend(Node base, List<Path.Segment> steps) {
        if (base instanceof Node.Field f) {
            List<Path.Segment> all = new ArrayList<>(f.path().segments());
            all.addAll(steps);
            return new Node.Field(new Path(all));
        }
        Node.VarPath v = (Node.VarPath) base;
        List<Path.Segment> rest = new ArrayList<>(v.rest());
        rest.addAll(steps);
        return new Node.VarPath(v.slot(), v.name(), rest);
    }

    private Node primary() {
        Token t = peek();
        switch (t.type()) {
            case INTEGER:
                advance();
                return at(t, integerLiteral(t, false));
            case DECIMAL:
                advance();
                return at(t, decimalLiteral(t, false));
            case STRING:
                advance();
                return at(t, new Node.Literal(Value.of(t.text())));
            case QUOTED_IDENT:
                advance();
                return at(t, reference(t, t.text()));
            case EOF:
                throw expected("an expression");
            case SYMBOL:
                return symbolPrimary(t);
            default:
                return wordPrimary(t);
        }
    }

    private Node symbolPrimary(Token t) {
        switch (t.text()) {
            case "(": {
                advance();
                Node e = expr();
                expectSymbol(")");
                return e;
            }
            case "[": {
                advance();
                enterLiteral(t);
                List<Node> items = new ArrayList<>();
                if (!peek().isSymbol("]")) {
                    do items.add(expr());
                    while (acceptSymbol(","));
                }
                expectSymbol("]");
                literalDepth--;
                return at(t, new Node.ArrayCtor(items));
            }
            case "{": {
                enterLiteral(t);
                Node object = objectLiteral();
                literalDepth--;
                return object;
            }
            case ":":
                return argument();
            default:
                throw expected("an expression");
        }
    }

    private Node argument() {
        Token colon = advance();
        Token name = peek();
        boolean touching = name.start() == colon.end()
                && (name.type() == Token.Type.WORD || name.type() == Token.Type.QUOTED_IDENT);
        if (!touching) throw syntax(colon, "expected an argument name right after ':'");
        advance();
        argUses.add(new ArgUse(name.text(), colon.line(), colon.column()));
        return at(colon, new Node.Arg(name.text()));
    }

    private Node objectLiteral() {
        Token open = advance();
        List<Node.Entry> entries = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        if (!peek().isSymbol("}")) {
            do {
                Token k = peek();
                String key;
                if (k.type() == Token.Type.STRING
                        || k.type() == Token.Type.QUOTED_IDENT
                        || k.type() == Token.Type.WORD) {
                    advance();
                    key = k.text();
                } else {
                    throw expected("a field name in an object literal");
                }
                if (!keys.add(key)) throw invalid(k, "duplicate field '" + key + "' in object literal");
                String problem = Limits.fieldNameProblem(key);
                if (problem != null) throw invalid(k, problem);
                expectSymbol(":");
                entries.add(new Node.Entry(key, expr()));
            } while (acceptSymbol(","));
        }
        expectSymbol("}");
        return at(open, new Node.ObjectCtor(entries));
    }

    private Node wordPrimary(Token t) {
        String upper = t.text().toUpperCase(Locale.ROOT);
        switch (upper) {
            case "TRUE":
                advance();
                return at(t, new Node.Literal(Value.TRUE));
            case "FALSE":
                advance();
                return at(t, new Node.Literal(Value.FALSE));
            case "NULL":
                advance();
                return at(t, new Node.Literal(Value.NULL));
            case "MISSING":
                advance();
                return at(t, new Node.Literal(Value.MISSING));
            case "CASE":
                return caseExpr();
            case "ANY":
            case "EVERY":
                return quantified();
            case "ARRAY":
                return arrayFor();
            default:
                break;
        }
        if (peek(1).isSymbol("(")) return call();
        if (Keywords.isReserved(t.text())) throw expected("an expression");
        advance();
        return at(t, reference(t, t.text()));
    }

    /** An identifier: a bound variable (innermost first) or the first step of a field path. */
    private Node reference(Token t, String name) {
        for (int i = scope.size() - 1; i >= 0; i--) {
            if (scope.get(i).equals(name)) return new Node.VarPath(i, name, List.of());
        }
        if (aliasScope != null && aliasScope.containsKey(name)) return aliasScope.get(name);
        if (!fieldsAllowed) {
            throw invalid(t, "field '" + name + "' cannot be used in INSERT; pass values as named arguments (:name)");
        }
        return new Node.Field(Path.of(name));
    }

    private Node call() {
        Token nameTok = advance();
        String name = nameTok.text().toLowerCase(Locale.ROOT);
        expectSymbol("(");
        switch (name) {
            case "count":
            case "sum":
            case "avg":
            case "min":
            case "max":
                return aggregate(nameTok, Node.AggregateKind.valueOf(name.toUpperCase(Locale.ROOT)));
            default:
                break;
        }
        FunctionDef fn = FunctionRegistry.lookup(name);
        if (fn == null) throw invalid(nameTok, "unknown function '" + nameTok.text() + "'");
        List<Node> args = new ArrayList<>();
        if (!peek().isSymbol(")")) {
            do args.add(expr());
            while (acceptSymbol(","));
            if (name.equals("cast") && args.size() == 1 && atWord("AS")) {
                advance();
                Token type = peek();
                if (type.type() != Token.Type.WORD && type.type() != Token.Type.STRING)
                    throw expected("a type name after AS");
                advance();
                args.add(new Node.Literal(Value.of(type.text().toLowerCase(Locale.ROOT))));
            }
        }
        expectSymbol(")");
        if (!fn.accepts(args.size())) {
            throw invalid(
                    nameTok, "function '" + nameTok.text() + "' takes " + fn.arity() + " but was given " + args.size());
        }
        try {
            return at(nameTok, new Node.Call(fn, args, nameTok.line(), nameTok.column()));
        } catch (IllegalArgumentException bad) {
            throw invalid(
                    nameTok, Objects.requireNonNullElse(bad.getMessage(), "invalid arguments to " + nameTok.text()));
        }
    }

    private Node aggregate(Token nameTok, Node.AggregateKind kind) {
        String upper = kind.name();
        if (insideAggregate)
            throw invalid(nameTok, "aggregate " + upper + " cannot be nested inside another aggregate");
        if (aggregateContext == null)
            throw invalid(nameTok, "aggregate " + upper + " is not allowed in " + noAggregatesClause);
        Node arg = null;
        boolean distinct = false;
        if (peek().isSymbol("*")) {
            if (kind != Node.AggregateKind.COUNT) throw invalid(peek(), upper + "(*) is not valid; only COUNT(*) is");
            advance();
        } else {
            distinct = acceptWord("DISTINCT");
            insideAggregate = true;
            try {
                arg = expr();
            } finally {
                insideAggregate = false;
            }
            if (peek().isSymbol(",")) {
                String hint = kind == Node.AggregateKind.MIN
                        ? "; for the smaller of two values use a CASE"
                        : kind == Node.AggregateKind.MAX ? "; for the larger of two values use a CASE" : "";
                throw invalid(nameTok, "aggregate " + upper + " takes 1 argument" + hint);
            }
        }
        expectSymbol(")");
        Node.Aggregate a = new Node.Aggregate(kind, arg, distinct, aggregates.size());
        aggregates.add(a);
        return at(nameTok, a);
    }

    private Node caseExpr() {
        Token t = expectWord("CASE");
        Node operand = atWord("WHEN") ? null : expr();
        List<Node.WhenThen> whens = new ArrayList<>();
        while (acceptWord("WHEN")) {
            Node w = expr();
            expectWord("THEN");
            whens.add(new Node.WhenThen(w, expr()));
        }
        if (whens.isEmpty()) throw expected("WHEN");
        Node otherwise = acceptWord("ELSE") ? expr() : null;
        expectWord("END");
        return at(t, new Node.Case(operand, whens, otherwise));
    }

    private String variableName() {
        Token t = peek();
        if (t.type() == Token.Type.QUOTED_IDENT || (t.type() == Token.Type.WORD && !Keywords.isReserved(t.text()))) {
            advance();
            return t.text();
        }
        throw expected("a variable name");
    }

    private Node quantified() {
        Token t = advance();
        boolean every = t.isWord("EVERY");
        String var = variableName();
        expectWord("IN");
        Node source = expr();
        expectWord("SATISFIES");
        int slot = push(var);
        Node cond;
        try {
            cond = expr();
        } finally {
            pop();
        }
        expectWord("END");
        return at(t, new Node.Quantified(every, slot, var, source, cond));
    }

    private Node arrayFor() {
        Token t = expectWord("ARRAY");
        String var = lookAheadForVariable(t);
        int slot = push(var);
        Node mapping;
        try {
            mapping = expr();
        } finally {
            pop();
        }
        expectWord("FOR");
        variableName();
        expectWord("IN");
        Node source = expr();
        Node cond = null;
        if (acceptWord("WHEN")) {
            push(var);
            try {
                cond = expr();
            } finally {
                pop();
            }
        }
        expectWord("END");
        return at(t, new Node.ArrayFor(mapping, slot, var, source, cond));
    }

    /** ARRAY's variable follows its mapping: find the FOR that belongs to this ARRAY and read the name after it. */
    private String lookAheadForVariable(Token arrayTok) {
        int f = groups().forOf[p - 1]; // the parser has just consumed the ARRAY token
        if (f < 0) throw syntax(arrayTok, "ARRAY needs FOR variable IN source … END");
        Token name = toks.get(f + 1);
        if (name.type() == Token.Type.QUOTED_IDENT
                || (name.type() == Token.Type.WORD && !Keywords.isReserved(name.text()))) {
            return name.text();
        }
        throw syntax(name, "expected a variable name but found " + name.describe());
    }

    private int push(String var) {
        scope.add(var);
        frameSize = Math.max(frameSize, scope.size());
        return scope.size() - 1;
    }

    private void pop() {
        scope.remove(scope.size() - 1);
    }
}
