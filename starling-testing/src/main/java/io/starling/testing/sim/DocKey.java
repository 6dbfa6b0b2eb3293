package io.starling.testing.sim;

import io.starling.internal.core.Value;

/** A document of the simulation: a collection and an integer id from the workload's small id space. */
record DocKey(String collection, long id) implements Comparable<DocKey> {
    @Override
    public int compareTo(DocKey o) {
        int c = collection.compareTo(o.collection);
        return c != 0 ? c : Long.compare(id, o.id);
    }

    Value idValue() {
        return Value.of(id);
    }

    @Override
    public String toString() {
        return collection + "/" + id;
    }
}
