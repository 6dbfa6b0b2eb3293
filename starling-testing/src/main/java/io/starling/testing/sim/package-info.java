@NullMarked
package io.starling.testing.sim;

import org.jspecify.annotations.NullMarked;
