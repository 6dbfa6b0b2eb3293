@NullMarked
package io.starling.soak;

import org.jspecify.annotations.NullMarked;
