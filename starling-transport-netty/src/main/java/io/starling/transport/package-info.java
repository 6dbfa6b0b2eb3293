@NullMarked
package io.starling.transport;

import org.jspecify.annotations.NullMarked;
