@NullMarked
package io.starling.internal.discovery;

import org.jspecify.annotations.NullMarked;
