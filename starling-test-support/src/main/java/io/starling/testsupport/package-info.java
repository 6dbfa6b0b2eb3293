/**
 * Test support shared by every module's tests: awaiting a condition with a deadline, child JVMs, the seeds of
 * randomized tests, the architecture rules and the public-API snapshot. Null-marked like the library: every
 * module's tests call it, so its signatures say what may be null, and NullAway checks that it keeps to them.
 */
@NullMarked
package io.starling.testsupport;

import org.jspecify.annotations.NullMarked;
