@NullMarked
package io.starling.internal.net;

import org.jspecify.annotations.NullMarked;
