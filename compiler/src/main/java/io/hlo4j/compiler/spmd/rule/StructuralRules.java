package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.List;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * Everything else: collectives that change a dimension's size (the gathered/scattered/split dimension needs
 * replication), ops with regions (their values link through the regions, which propagation follows), sdy's
 * own ops, and the ops that cannot be split at all ({@link RuleBuilder#replicatedOf}: rng, host transfers,
 * opaque custom calls, dynamic-shape ops, test assertions).
 */
final class StructuralRules {
    private StructuralRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule("stablehlo.all_gather", op -> resizingCollective(op, OpAttrs.i64(op, "all_gather_dim"), -1));
        in.rule("stablehlo.reduce_scatter", op -> resizingCollective(op, OpAttrs.i64(op, "scatter_dimension"), -1));
        in.rule("stablehlo.all_to_all", op -> resizingCollective(op, OpAttrs.i64(op, "split_dimension"),
                OpAttrs.i64(op, "concat_dimension")));
        // Region ops: value i of the operands is value i of the results (while, optimization_barrier), or the
        // values are independent and linked only through the regions (case, if, calls, manual computations).
        in.rule(StructuralRules::identityPerValue, "stablehlo.while", "stablehlo.optimization_barrier");
        in.rule(StructuralRules::independent, "stablehlo.case", "stablehlo.if", "func.call", "sdy.manual_computation",
                "sdy.named_computation", "stablehlo.tuple", "stablehlo.get_tuple_element", "sdy.sharding_group",
                "stablehlo.after_all", "stablehlo.create_token", "stablehlo.partition_id", "stablehlo.replica_id");
        // sdy ops that fix the sharding of their result: nothing flows through them.
        in.rule(StructuralRules::blockedIdentity, "sdy.reshard", "sdy.propagation_barrier", "sdy.all_gather",
                "sdy.all_reduce", "sdy.all_slice", "sdy.all_to_all", "sdy.collective_permute", "sdy.reduce_scatter",
                "sdy.replicated_to_unreduced", "sdy.sharded_to_unreduced");
        in.rule("stablehlo.custom_call", CustomCallRules::of);
        in.rule("stablehlo.rng_bit_generator", StructuralRules::rngBitGenerator);
        in.rule(RuleBuilder::replicatedOf,
                // random streams, host and device-to-device transfers, async pairs, decompositions we cannot see into
                "stablehlo.rng", "stablehlo.infeed", "stablehlo.outfeed", "stablehlo.send", "stablehlo.recv",
                "stablehlo.async_start", "stablehlo.async_done", "stablehlo.composite", "chlo.scan",
                // legacy forms the pipeline lowers before sharding
                "stablehlo.einsum", "stablehlo.unary_einsum", "stablehlo.torch_index_select",
                // dynamic shapes: sharding needs static ones
                "stablehlo.dynamic_broadcast_in_dim", "stablehlo.dynamic_conv", "stablehlo.dynamic_gather",
                "stablehlo.dynamic_iota", "stablehlo.dynamic_pad", "stablehlo.dynamic_reshape",
                "stablehlo.real_dynamic_slice", "stablehlo.set_dimension_size", "stablehlo.get_dimension_size",
                "builtin.unrealized_conversion_cast",
                // test assertions and interpreter instrumentation compare or show whole tensors
                "check.expect_almost_eq", "check.expect_almost_eq_const", "check.expect_close", "check.expect_eq",
                "check.expect_eq_const", "check.expect_serialized_eq", "interpreter.print", "interpreter.probe",
                "interpreter.run_parallel");
    }

    /**
     * all_gather, reduce_scatter, all_to_all (Shardy): the other dimensions are shared by every operand and
     * result; the resized dimension(s) need replication on each side.
     */
    static OpShardingRule resizingCollective(Operation op, long dimA, long dimB) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        RuleBuilder b = new RuleBuilder(op).pointwiseIf(in, d -> d != dimA && d != dimB, d -> PASS_THROUGH);
        b.factorOnAllOperands((int) dimA, in[(int) dimA], NEED_REPLICATION);
        b.factorOnAllResults((int) dimA, out[(int) dimA], NEED_REPLICATION);
        if (dimB >= 0 && dimB != dimA) {
            b.factorOnAllOperands((int) dimB, in[(int) dimB], NEED_REPLICATION);
            b.factorOnAllResults((int) dimB, out[(int) dimB], NEED_REPLICATION);
        }
        return b.build();
    }

    /** Operand i and result i (same type) share one factor per dimension. */
    static OpShardingRule identityPerValue(Operation op) {
        RuleBuilder b = new RuleBuilder(op);
        int n = op.numResults();
        for (int v = 0; v < n; v++) {
            if (!(op.result(v).type() instanceof TensorType t)) continue;
            for (int d = 0; d < t.rank(); d++) {
                int[] od = RuleBuilder.none(op.numOperands()), rd = RuleBuilder.none(n);
                od[v] = d;
                rd[v] = d;
                b.factor(od, rd, t.dim(d));
            }
        }
        return b.build();
    }

    /** Every dimension of every tensor is its own pass-through factor: nothing links them through the op itself. */
    static OpShardingRule independent(Operation op) {
        RuleBuilder b = new RuleBuilder(op);
        int nOps = op.numOperands(), nRes = op.numResults();
        List<Type> types = new java.util.ArrayList<>(op.operandTypes());
        types.addAll(op.resultTypes());
        for (int k = 0; k < types.size(); k++) {
            if (!(types.get(k) instanceof TensorType t)) continue;
            for (int d = 0; d < t.rank(); d++) {
                int[] od = RuleBuilder.none(nOps), rd = RuleBuilder.none(nRes);
                if (k < nOps) od[k] = d; else rd[k - nOps] = d;
                b.factor(od, rd, t.dim(d));
            }
        }
        return b.build();
    }

    /** Operand and result share factors, all blocked: the result's sharding is the op's own, not propagated. */
    static OpShardingRule blockedIdentity(Operation op) {
        long[] s = OpAttrs.resultShape(op, 0);
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < s.length; d++) b.factorOnAll(d, s[d], PASS_THROUGH, true);
        return b.build();
    }

    /** (initial_state) -> (output_state, output): the state is replicated and blocked; the output is free. */
    static OpShardingRule rngBitGenerator(Operation op) {
        long[] state = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 1);
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < state.length; d++) b.factor(new int[] {d}, new int[] {d, NONE}, state[d], NEED_REPLICATION, true);
        for (int d = 0; d < out.length; d++) b.factor(new int[] {NONE}, new int[] {NONE, d}, out[d]);
        return b.build();
    }
}
