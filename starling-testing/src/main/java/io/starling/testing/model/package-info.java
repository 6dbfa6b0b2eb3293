/**
 * The independent model of the merge contract (docs/DATA-MODEL.md) that the simulator and other checkers compare
 * replicas with. It uses only the JDK (ModelIndependenceTest): nothing of the engine it checks.
 */
@NullMarked
package io.starling.testing.model;

import org.jspecify.annotations.NullMarked;
