package io.starling.internal.query;

/**
 * How a running statement learns that it must stop. The evaluator calls {@link #check()} at its loop points: every
 * document it reads (scans, index scans, {@code _id} lookups), every group, every item of {@code ANY}/{@code EVERY}/
 * {@code ARRAY … FOR}, every few thousand comparisons of a sort and every few thousand characters a regular expression
 * or LIKE pattern examines. So a statement stops soon after it is told to, however it spends its time.
 *
 * <p>The query layer reads no clock: the engine implements this over its clock (a deadline) and its close flag, and
 * hands it in with the {@link EvalContext}. Implementations must be cheap (a check per document) and safe to call
 * from the thread running the statement while another thread asks it to stop.
 */
@FunctionalInterface
public interface Cancellation {
    /** Never stops anything (tests, and evaluations that are bounded by construction). */
    Cancellation NONE = () -> {};

    /**
     * Returns while the statement may go on; otherwise throws the unchecked exception that ends it (the engine
     * throws a {@link DqlException} of kind {@link DqlException.Kind#TIMEOUT} for a passed deadline). Whatever the
     * statement built is dropped; the engine rolls back what it wrote.
     */
    void check();
}
