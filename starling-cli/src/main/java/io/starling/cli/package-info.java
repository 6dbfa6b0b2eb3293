@NullMarked
package io.starling.cli;

import org.jspecify.annotations.NullMarked;
