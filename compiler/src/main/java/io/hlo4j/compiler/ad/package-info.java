/**
 * Reverse-mode automatic differentiation over the IR.
 *
 * <p>{@link io.hlo4j.compiler.ad.Autodiff} turns a {@code func.func} into its VJP ({@code vjp}: arguments and one
 * cotangent per result in, results and the chosen arguments' cotangents out) or {@code valueAndGrad} (scalar
 * loss). The forward body is re-emitted unchanged, so every forward value is a residual the backward sweep may
 * read; the sweep ({@code Sweep}) walks the ops in reverse, applies each op's {@link io.hlo4j.compiler.ad.VjpRule}
 * and sums the cotangents of values used more than once; arguments nothing reaches get zeros.
 *
 * <p>Rules live with the op declarations: {@link io.hlo4j.compiler.ad.VjpRules#install()} attaches them to the
 * global registry's {@code OpDef}s ({@code attach(VjpRule.class, rule)}), marks the ops that have no gradient
 * ({@link io.hlo4j.compiler.ad.NonDifferentiable}, with the reason) and lists the differentiable ops still without
 * a rule ({@link io.hlo4j.compiler.ad.VjpRules#MISSING}; reaching one is an error naming the op and its location).
 *
 * <p>Design choices:
 * <ul>
 *   <li>{@code stop_gradient} is an identity {@code stablehlo.convert} carrying the discardable attribute
 *   {@code hlo4j.stop_gradient}: plain StableHLO every backend folds away, cut by the sweep.</li>
 *   <li>Region ops: if/case branches and {@code func.call} callees are recomputed inside the backward program;
 *   values they capture from outside get cotangents through {@link io.hlo4j.compiler.ad.Backward#captured}. A call is
 *   differentiated wherever it sits (top level, a branch, a loop body, a manual or named computation's body): its
 *   callee is recomputed and swept at the call site. Before the sweep {@link io.hlo4j.compiler.ad.Calls} checks the
 *   call graph once and refuses, by name and with the call's location, a missing callee, a call whose types differ
 *   from its callee's, and recursion (the chain is named). {@link io.hlo4j.compiler.ad.Calls#inlineAll} gives a
 *   call-free copy of a function (every region, transitively) for consumers that want one, e.g. the DSL's grad.</li>
 *   <li>While loops: fori-style loops (constant start, {@code LT} a constant, step 1) stack each iteration's carry
 *   in the forward pass and read it back in the backward loop (scan-style saved residuals); any other loop is
 *   differentiated by recomputing iteration k's carry from the initial carry (O(N^2) body runs, O(1) memory).</li>
 *   <li>Checkpointing and custom VJPs are attributes on {@code func.call} ({@link io.hlo4j.compiler.ad.Checkpoint}):
 *   {@code hlo4j.remat = "nothing" | "dots" | "names"} (saved values then pass an {@code optimization_barrier}
 *   before the recomputation, as in JAX), {@code hlo4j.custom_vjp = @bwd}.</li>
 *   <li>Collectives are transposed over the same replica groups (all_reduce sum to itself, all_gather and
 *   reduce_scatter to each other, all_to_all with split/concat swapped, collective_permute with pairs inverted).</li>
 *   <li>{@code sdy.manual_computation} (shard_map) transposes to a manual computation on the same mesh and manual
 *   axes whose body recomputes the forward body and applies its VJP ({@code ShardyRules}); as JAX's shard_map
 *   transpose without its replication rewrite, a result replicated over manual axes hands each copy 1/n of its
 *   cotangent and an operand replicated over manual axes gets the all_reduce of its copies' cotangents.
 *   {@code named_computation} transposes to {@code "vjp_<name>"}; sharding constraints and reshards keep their
 *   sharding on the cotangent. Shardy's global-view collectives keep the logical value, so their VJPs pass the
 *   cotangent on and move it back to the operand's sharding with the transposed collective
 *   ({@code SdyCollectiveRules}: all_gather and all_slice swap, all_to_all moves its axes back, collective_permute
 *   returns to the operand's sharding, reduce_scatter and sharded_to_unreduced become all_gather / all_slice,
 *   all_reduce and replicated_to_unreduced need no collective).</li>
 *   <li>Ops that are compositions (batch norm, legacy einsum and torch_index_select) are differentiated through a
 *   spec decomposition built once and swept ({@code Decomposition}); composite through its decomposition function;
 *   chlo.scan with carry stacks from a second forward scan ({@code ScanRules}).</li>
 *   <li>Mixed precision: products (dot_general, ragged_dot, convolution) with narrower operands than their result
 *   run their backward products in the widest type (f32 accumulation for bf16 operands) and convert the cotangents
 *   to the operands' types at the end.</li>
 *   <li>Derivatives JAX does not define are refused when needed: polygamma in n and zeta in s unless constant (or
 *   stop_gradient'ed), custom_call (by target), ADJOINT triangular solves of complex matrices. Quantization is
 *   non-differentiable (a straight-through estimator is a user's custom VJP).</li>
 *   <li>Complex values follow JAX: a cotangent c pairs with a tangent dz as Re(c * dz), unconjugated
 *   ({@code ComplexRules}).</li>
 *   <li>The result goes through dead-code elimination ({@code io.hlo4j.mlir.transform.DeadCode}, the pass the DSL's
 *   jit runs): cotangents nothing returns (of an argument not differentiated, of a constant operand where a rule
 *   builds it) and the forward values only they read go; arguments, results, calls and effects stay.</li>
 *   <li>Dynamic-shape ops (dynamic_reshape/broadcast_in_dim/pad/conv, real_dynamic_slice) are differentiated only
 *   with static shapes and constant bounds/paddings; chlo's broadcasting ops are differentiated as explicit
 *   broadcast_in_dim + the stablehlo op's own rule. Tuple cotangents are tuples of element cotangents.</li>
 * </ul>
 */
package io.hlo4j.compiler.ad;
