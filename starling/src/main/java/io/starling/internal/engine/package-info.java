@NullMarked
package io.starling.internal.engine;

import org.jspecify.annotations.NullMarked;
