package io.starling;

import java.util.List;

/** One delivery to an observer: the full current result and how it differs from the previous delivery. */
public interface QueryResultChange {

    /** The current result, in query order. */
    List<QueryResultItem> items();

    /** The change since the previous delivery; for the first delivery, every item is an insertion. */
    QueryResultDiff diff();

    /** True for the first delivery, the result when the observer was registered. */
    boolean isInitial();
}
