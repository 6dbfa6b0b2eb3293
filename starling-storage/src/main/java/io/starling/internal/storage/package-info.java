@NullMarked
package io.starling.internal.storage;

import org.jspecify.annotations.NullMarked;
