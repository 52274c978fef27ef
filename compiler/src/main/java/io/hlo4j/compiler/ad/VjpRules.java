package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;

import java.util.Set;

/**
 * Attaches every VJP rule and every non-differentiable marker to the global op registry, once. Each op is in
 * exactly one of three states: it has a {@link VjpRule}, it is {@link NonDifferentiable} (with the reason), or it
 * is listed in {@link #MISSING} (differentiable, no rule yet: the transformation refuses it by name). A registry
 * test walks every op and fails for any op in none of these states.
 */
public final class VjpRules {
    private static boolean installed;

    /** Differentiable ops without a rule yet; reaching one in the backward sweep is an error naming the op. */
    public static final Set<String> MISSING = Set.of(
            // Empty: chlo._asin_acos_kernel, the last entry, has its rule in AsinAcosKernelRule. An op added to the
            // registry without a rule goes here until it has one.
            );

    private VjpRules() {}

    public static synchronized void install() {
        if (installed) return;
        Installer in = new Installer(OpRegistry.global());
        ElementwiseRules.install(in);
        ShapeRules.install(in);
        ReduceRules.install(in);
        DotRules.install(in);
        ConvRules.install(in);
        SelectScatterRules.install(in);
        DynamicShapeRules.install(in);
        ComplexRules.install(in);
        ChloBroadcastRules.install(in);
        MapRules.install(in);
        IndexingRules.install(in);
        ControlFlowRules.install(in);
        CollectiveRules.install(in);
        ShardyRules.install(in);
        LinalgRules.install(in);
        FftRules.install(in);
        BatchNormRules.install(in);
        LegacyRules.install(in);
        ChloMathRules.install(in);
        ScanRules.install(in);
        MiscRules.install(in);
        PermutationRules.install(in);
        RaggedDotRules.install(in);
        NonDifferentiableOps.install(in);
        installed = true;
    }

    /** Registration helper: refuses names the registry does not know, so a typo cannot silently drop a rule. */
    static final class Installer {
        private final OpRegistry registry;

        Installer(OpRegistry registry) { this.registry = registry; }

        void rule(String opName, VjpRule rule) { def(opName).attach(VjpRule.class, rule); }

        void nonDifferentiable(String reason, String... opNames) {
            NonDifferentiable nd = new NonDifferentiable(reason);
            for (String n : opNames) def(n).attach(NonDifferentiable.class, nd);
        }

        private OpDef def(String opName) {
            OpDef d = registry.lookup(opName);
            if (d == null) throw new IllegalStateException("VJP registration names unknown op '" + opName + "'");
            return d;
        }
    }
}
