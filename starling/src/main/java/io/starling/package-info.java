@NullMarked
package io.starling;

import org.jspecify.annotations.NullMarked;
