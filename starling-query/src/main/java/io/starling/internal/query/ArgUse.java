package io.starling.internal.query;

/** Where a statement references a named argument {@code :name}, for "argument :name was not supplied". */
record ArgUse(String name, int line, int column) {}
