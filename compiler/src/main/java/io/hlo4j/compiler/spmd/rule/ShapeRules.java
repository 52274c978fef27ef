package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.compiler.spmd.SubAxes;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PERMUTATION;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * Ops that move, copy or cut data without arithmetic: broadcasts, reshape (dimensions split and merged into
 * common factors), transpose, concatenate, slicing and padding, iota and constants.
 */
final class ShapeRules {
    private ShapeRules() {}

    static void install(ShardingRules.Installer in) {
        in.rule("stablehlo.broadcast_in_dim", ShapeRules::broadcastInDim);
        in.rule("stablehlo.broadcast", ShapeRules::broadcast);
        in.rule("stablehlo.reshape", ShapeRules::reshape);
        in.rule("stablehlo.transpose", ShapeRules::transpose);
        in.rule("stablehlo.concatenate", ShapeRules::concatenate);
        // The touched dimensions of slice, pad and reverse need replication (Shardy lets them stay sharded as
        // permutation factors; our partitioner localises these ops only on untouched dimensions).
        in.rule("stablehlo.slice", op -> new RuleBuilder(op).pointwiseWithMismatch(OpAttrs.operandShape(op, 0),
                OpAttrs.resultShape(op, 0), NEED_REPLICATION, false).build());
        in.rule("stablehlo.pad", op -> new RuleBuilder(op).pointwiseWithMismatch(OpAttrs.operandShape(op, 0),
                OpAttrs.resultShape(op, 0), NEED_REPLICATION, false).build());
        in.rule("stablehlo.reverse", op -> {
            long[] dims = OpAttrs.i64s(op, "dimensions");
            return new RuleBuilder(op).pointwise(OpAttrs.resultShape(op, 0),
                    d -> OpAttrs.contains(dims, d) ? NEED_REPLICATION : PASS_THROUGH, false).build();
        });
        in.rule("stablehlo.dynamic_slice", op -> new RuleBuilder(op).pointwiseWithMismatch(OpAttrs.operandShape(op, 0),
                OpAttrs.resultShape(op, 0), NEED_REPLICATION, true).build());
        in.rule("stablehlo.dynamic_update_slice", ShapeRules::dynamicUpdateSlice);
        in.rule(op -> new RuleBuilder(op).pointwise(OpAttrs.resultShape(op, 0)).build(),
                "stablehlo.iota", "stablehlo.constant", "chlo.constant", "sdy.constant");
        in.rule("stablehlo.bitcast_convert", ShapeRules::bitcastConvert);
    }

    static OpShardingRule broadcastInDim(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        long[] dims = OpAttrs.i64s(op, "broadcast_dimensions");
        int[] outToIn = RuleBuilder.none(out.length);
        for (int i = 0; i < dims.length; i++) outToIn[(int) dims[i]] = i;
        RuleBuilder b = new RuleBuilder(op);
        for (int o = 0; o < out.length; o++) {
            int i = outToIn[o];
            if (i != NONE && in[i] == 1 && out[o] != 1) {
                b.factor(new int[] {i}, new int[] {NONE}, 1);
                i = NONE;
            }
            b.factor(new int[] {i}, new int[] {o}, out[o]);
        }
        return b.build();
    }

    /** Legacy broadcast: the result is {@code broadcast_sizes} followed by the operand's shape. */
    static OpShardingRule broadcast(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        int lead = out.length - in.length;
        RuleBuilder b = new RuleBuilder(op);
        for (int o = 0; o < out.length; o++) b.factor(new int[] {o < lead ? NONE : o - lead}, new int[] {o}, out[o]);
        return b.build();
    }

    static OpShardingRule transpose(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0);
        long[] perm = OpAttrs.i64s(op, "permutation");
        RuleBuilder b = new RuleBuilder(op);
        for (int o = 0; o < perm.length; o++) b.factor(new int[] {(int) perm[o]}, new int[] {o}, in[(int) perm[o]]);
        return b.build();
    }

    /** The concatenated dimension is a permutation factor: a sharded piece must move to where it lands. */
    static OpShardingRule concatenate(Operation op) {
        long dim = OpAttrs.i64(op, "dimension");
        return new RuleBuilder(op).pointwise(OpAttrs.resultShape(op, 0), d -> d == dim ? PERMUTATION : PASS_THROUGH, false)
                .build();
    }

    /**
     * Reshape as Shardy factors it: walking both shapes major to minor, a dimension is split into the greatest
     * common factors it shares with the other side's dimensions; where the sizes share nothing the factors are
     * unique to one side. Size-1 dimensions take their own factor.
     */
    static OpShardingRule reshape(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        RuleBuilder b = new RuleBuilder(op);
        long numel = 1;
        for (long s : in) numel *= s;
        if (numel == 0) {
            // No elements, nothing to shard: every dimension keeps its own factor.
            for (int d = 0; d < in.length; d++) b.factor(new int[] {d}, new int[] {NONE}, in[d]);
            for (int d = 0; d < out.length; d++) b.factor(new int[] {NONE}, new int[] {d}, out[d]);
            return b.build();
        }
        int inDim = 0, outDim = 0;
        long prodDimsIn = 1, prodDimsOut = 1, prodFactorsIn = 1, prodFactorsOut = 1;
        while (inDim < in.length || outDim < out.length) {
            if (inDim < in.length && in[inDim] == 1) {
                b.factor(new int[] {inDim++}, new int[] {NONE}, 1);
                continue;
            }
            if (outDim < out.length && out[outDim] == 1) {
                b.factor(new int[] {NONE}, new int[] {outDim++}, 1);
                continue;
            }
            if (inDim < in.length && prodDimsIn == prodFactorsIn) prodDimsIn *= in[inDim];
            if (outDim < out.length && prodDimsOut == prodFactorsOut) prodDimsOut *= out[outDim];
            long nextIn = prodDimsIn / prodFactorsIn, nextOut = prodDimsOut / prodFactorsOut;
            long g = SubAxes.gcd(nextIn, nextOut);
            if (prodFactorsIn == prodFactorsOut) {
                if (g > 1) {
                    b.factor(new int[] {inDim}, new int[] {outDim}, g);
                    prodFactorsIn *= g;
                    prodFactorsOut *= g;
                } else {
                    b.factor(new int[] {inDim}, new int[] {NONE}, nextIn);
                    prodFactorsIn *= nextIn;
                    b.factor(new int[] {NONE}, new int[] {outDim}, nextOut);
                    prodFactorsOut *= nextOut;
                }
            } else if (prodFactorsIn < prodFactorsOut) {
                long f = divergedFactor(nextIn, g, prodFactorsIn, prodFactorsOut);
                b.factor(new int[] {inDim}, new int[] {NONE}, f);
                prodFactorsIn *= f;
            } else {
                long f = divergedFactor(nextOut, g, prodFactorsOut, prodFactorsIn);
                b.factor(new int[] {NONE}, new int[] {outDim}, f);
                prodFactorsOut *= f;
            }
            if (inDim < in.length && prodDimsIn == prodFactorsIn) inDim++;
            if (outDim < out.length && prodDimsOut == prodFactorsOut) outDim++;
        }
        return b.build();
    }

    /** Once the two sides' factor products differ: the factor that makes them meet again, or one keeping the gcd. */
    private static long divergedFactor(long next, long g, long smaller, long larger) {
        if (larger % smaller == 0 && next % (larger / smaller) == 0) return larger / smaller;
        if (next > g) return next / g;
        return next;
    }

    /**
     * A dimension the update does not cover whole stays sharded on operand and result (each device updates its
     * own block) while the update's dimension needs replication.
     */
    static OpShardingRule dynamicUpdateSlice(Operation op) {
        long[] operand = OpAttrs.operandShape(op, 0), update = OpAttrs.operandShape(op, 1);
        int n = op.numOperands();
        RuleBuilder b = new RuleBuilder(op);
        for (int d = 0; d < operand.length; d++) {
            if (operand[d] == update[d]) {
                b.factorOnAll(d, operand[d], PASS_THROUGH);
            } else {
                int[] od = RuleBuilder.none(n);
                od[0] = d;
                b.factor(od, new int[] {d}, operand[d]);
                od = RuleBuilder.none(n);
                od[1] = d;
                b.factor(od, new int[] {NONE}, update[d], constantIndices(op) ? PASS_THROUGH : NEED_REPLICATION);
            }
        }
        return b.build();
    }

    /** Whether every start index is a constant (then the update may stay sharded too, as in Shardy). */
    private static boolean constantIndices(Operation op) {
        for (int i = 2; i < op.numOperands(); i++) {
            if (!(op.operand(i) instanceof io.hlo4j.mlir.ir.OpResult r)
                    || !java.util.Set.of("stablehlo.constant", "sdy.constant").contains(r.owner().name())) return false;
        }
        return true;
    }

    /** Any dimension but the extra innermost one of the side with the narrower element type. */
    static OpShardingRule bitcastConvert(Operation op) {
        long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
        long[] shape = in.length < out.length ? in : out;
        RuleBuilder b = new RuleBuilder(op).pointwise(shape);
        if (in.length < out.length) b.factor(new int[] {NONE}, new int[] {out.length - 1}, out[out.length - 1], NEED_REPLICATION);
        else if (in.length > out.length) b.factor(new int[] {in.length - 1}, new int[] {NONE}, in[in.length - 1], NEED_REPLICATION);
        return b.build();
    }
}
