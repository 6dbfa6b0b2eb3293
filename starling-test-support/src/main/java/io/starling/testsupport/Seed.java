package io.starling.testsupport;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed of a hand-rolled randomized JUnit test, as a {@code long} parameter: {@code void test(@Seed long seed)}.
 * It is the one {@code -Dstarling.seed=N} names, or else a fresh one; either way it is printed with the command that
 * replays it, and a failure of the test names it too ({@link SeedExtension}). Keep a seed that found a bug as a
 * regression case with a plain test that passes it ({@code run(20, 1234L)}): docs/TESTING.md.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@ExtendWith(SeedExtension.class)
public @interface Seed {}
