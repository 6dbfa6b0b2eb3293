@NullMarked
package io.starling.internal.index;

import org.jspecify.annotations.NullMarked;
