@NullMarked
package io.starling.internal.sync;

import org.jspecify.annotations.NullMarked;
