@NullMarked
package io.starling.internal.core;

import org.jspecify.annotations.NullMarked;
