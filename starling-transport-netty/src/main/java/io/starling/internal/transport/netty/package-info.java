@NullMarked
package io.starling.internal.transport.netty;

import org.jspecify.annotations.NullMarked;
