@NullMarked
package io.starling.internal.crdt;

import org.jspecify.annotations.NullMarked;
