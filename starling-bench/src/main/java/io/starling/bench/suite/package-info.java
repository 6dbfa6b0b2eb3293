@NullMarked
package io.starling.bench.suite;

import org.jspecify.annotations.NullMarked;
