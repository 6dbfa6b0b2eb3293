@NullMarked
package io.starling.bench;

import org.jspecify.annotations.NullMarked;
