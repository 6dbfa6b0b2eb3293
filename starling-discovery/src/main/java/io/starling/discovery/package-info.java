@NullMarked
package io.starling.discovery;

import org.jspecify.annotations.NullMarked;
