package io.hlo4j.compiler.batch;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;

/**
 * Attaches every batching rule to the global op registry, once, the way {@code VjpRules} attaches gradient rules:
 * one rule per op, on the op's {@link OpDef}. An op without a rule is refused by {@link Batching} when one of its
 * inputs is batched (an op whose inputs are all unbatched is copied as it is and needs none). So only ops that can
 * meet a batched input get a rule: leaves with no operand, and ops reading only tokens, tuples or futures (never
 * batched), have none.
 */
public final class BatchRules {
    private static boolean installed;

    private BatchRules() {}

    public static synchronized void install() {
        if (installed) return;
        Installer in = new Installer(OpRegistry.global());
        ElementwiseBatchRules.install(in);
        ShapeBatchRules.install(in);
        ReduceDotBatchRules.install(in);
        ConvBatchRules.install(in);
        CollectiveBatchRules.install(in);
        SdyBatchRules.install(in);
        DynamicShapeBatchRules.install(in);
        MiscBatchRules.install(in);
        IndexingBatchRules.install(in);
        ControlFlowBatchRules.install(in);
        ChloBroadcastBatchRules.install(in);
        BatchNormBatchRules.install(in);
        SelectAndScatterBatchRules.install(in);
        CallBatchRules.install(in);
        LegacyBatchRules.install(in);
        EffectBatchRules.install(in);
        ScanBatchRules.install(in);
        installed = true;
    }

    /** Registration helper: refuses names the registry does not know, so a typo cannot silently drop a rule. */
    static final class Installer {
        private final OpRegistry registry;

        Installer(OpRegistry registry) { this.registry = registry; }

        OpRegistry registry() { return registry; }

        void rule(String opName, BatchRule rule) { def(opName).attach(BatchRule.class, rule); }

        private OpDef def(String opName) {
            OpDef d = registry.lookup(opName);
            if (d == null) throw new IllegalStateException("batching registration names unknown op '" + opName + "'");
            return d;
        }
    }
}
