/**
 * The checks the simulator and the soak share: who must agree on a document and which states must be identical
 * ({@link io.starling.testing.check.ReplicaGraph}), a replica compared with the model of the writes it holds
 * ({@link io.starling.testing.check.ModelComparison}), and what an acknowledged write must have stored ({@link
 * io.starling.testing.check.WriteStamp}). The expectations come from the independent model
 * ({@code io.starling.testing.model}); the engine's states are only observed ({@link
 * io.starling.testing.check.Observed}).
 */
@NullMarked
package io.starling.testing.check;

import org.jspecify.annotations.NullMarked;
