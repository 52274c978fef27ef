package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Operation;

import java.util.Arrays;
import java.util.Set;

import static io.hlo4j.compiler.spmd.rule.FactorKind.NEED_REPLICATION;
import static io.hlo4j.compiler.spmd.rule.FactorKind.PASS_THROUGH;
import static io.hlo4j.compiler.spmd.rule.RuleBuilder.NONE;

/**
 * custom_call by target, for the targets Shardy knows (element-wise ones, the linear-algebra helpers, top-k);
 * any other target is opaque: every dimension needs replication and nothing propagates through it.
 */
final class CustomCallRules {
    private CustomCallRules() {}

    /** Targets Shardy treats as element-wise. */
    static final Set<String> POINTWISE = Set.of("annotate_device_placement", "Cholesky", "CompactWyHelper", "InspectSharding",
            "InvertDiagBlocksLowerTriangular", "InvertDiagBlocksUpperTriangular", "LayoutConstraint", "mhlo.erf",
            "MoveToDevice", "MoveToHost", "X64SplitHigh", "X64SplitLow", "X64Combine", "Sharding",
            "xla.megascale.provide_metadata", "_SPMDInternalOp_MultiPad", "_SPMDInternalOp_RotateRight",
            "_SPMDInternalOp_MultiRotate", "_SPMDInternalOp_MultiSlice", "_SPMDInternalOp_Wrap");

    static OpShardingRule of(Operation op) {
        String target = op.attr("call_target_name") instanceof StringAttr s ? s.value() : "";
        if (POINTWISE.contains(target)) return RuleBuilder.pointwiseOf(op);
        int nOps = op.numOperands(), nRes = op.numResults();
        switch (target) {
            case "Eigh" -> {
                if (nOps != 1 || nRes != 2) break;
                long[] in = OpAttrs.operandShape(op, 0);
                int d1 = in.length - 2, d2 = in.length - 1;
                return new RuleBuilder(op).pointwise(Arrays.copyOf(in, d1))
                        .factor(new int[] {d1}, new int[] {d1, NONE}, in[d1])
                        .factor(new int[] {d2}, new int[] {d2, d1}, in[d2]).build();
            }
            case "Qr", "QrDecompositionBlock" -> {
                if (nOps != 1 || nRes != 2) break;
                long[] in = OpAttrs.operandShape(op, 0), tau = OpAttrs.resultShape(op, 1);
                int d1 = in.length - 2, d2 = in.length - 1;
                return new RuleBuilder(op).pointwise(Arrays.copyOf(in, d1))
                        .factor(new int[] {d1}, new int[] {d1, NONE}, in[d1], NEED_REPLICATION)
                        .factor(new int[] {d2}, new int[] {d2, NONE}, in[d2], NEED_REPLICATION)
                        .factor(new int[] {NONE}, new int[] {NONE, d1}, tau[d1], NEED_REPLICATION).build();
            }
            case "ProductOfElementaryHouseholderReflectors" -> {
                if (nOps != 2 || nRes != 1) break;
                long[] a = OpAttrs.operandShape(op, 0), taus = OpAttrs.operandShape(op, 1);
                int d1 = a.length - 2, d2 = a.length - 1;
                return new RuleBuilder(op).pointwise(Arrays.copyOf(a, d1))
                        .factor(new int[] {d1, NONE}, new int[] {d1}, a[d1], NEED_REPLICATION)
                        .factor(new int[] {d2, NONE}, new int[] {d2}, a[d2], NEED_REPLICATION)
                        .factor(new int[] {NONE, d1}, new int[] {NONE}, taus[d1], NEED_REPLICATION).build();
            }
            case "mhlo.topk" -> {
                if (nOps != 1 || nRes != 2) break;
                return new RuleBuilder(op).pointwiseWithMismatch(OpAttrs.operandShape(op, 0), OpAttrs.resultShape(op, 0),
                        NEED_REPLICATION, true).build();
            }
            case "ApproxTopK", "PartialReduce" -> {
                if (nOps != 4 || nRes != 2) break;
                long[] in = OpAttrs.operandShape(op, 0), out = OpAttrs.resultShape(op, 0);
                RuleBuilder b = new RuleBuilder(op);
                for (int d = 0; d < in.length; d++) {
                    if (in[d] == out[d]) {
                        b.factorOnAll(d, in[d], PASS_THROUGH);
                    } else {
                        b.factor(new int[] {d, d, NONE, NONE}, new int[] {NONE, NONE}, in[d]);
                        b.factor(new int[] {NONE, NONE, NONE, NONE}, new int[] {d, d}, out[d], NEED_REPLICATION, true);
                    }
                }
                return b.build();
            }
            default -> { }
        }
        return RuleBuilder.replicatedOf(op);
    }
}
