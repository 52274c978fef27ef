package io.hlo4j.compiler.spmd.rule;

import io.hlo4j.compiler.spmd.ShardingRuleFactory;
import io.hlo4j.mlir.dialect.sdy.OpShardingRule;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpTrait;

import java.util.Set;

/**
 * Attaches a {@link ShardingRuleFactory} to every op of the global registry, once, and answers "what is this
 * op's factor rule". The rules follow Shardy's {@code op_sharding_rule_registry} where Shardy has the op (so the
 * printed {@code #sdy.op_sharding_rule} reads the same), with the deliberate differences listed in
 * {@code docs/sharding-propagation.md}. Ops that cannot be split (host transfers, rng, opaque custom calls) get
 * {@link RuleBuilder#replicatedOf}: every dimension its own blocked need-replication factor. Ops without tensors
 * of their own (modules, functions, meshes, terminators) are {@link #EXEMPT}. A registry test fails for any op in
 * neither state.
 */
public final class ShardingRules {
    private static boolean installed;

    /** Ops that hold no tensors of their own: structure (module, function, mesh) and region terminators. */
    public static final Set<String> EXEMPT = Set.of("builtin.module", "func.func", "func.return", "stablehlo.return",
            "sdy.return", "sdy.mesh");

    private ShardingRules() {}

    public static synchronized void install() {
        if (installed) return;
        Installer in = new Installer(OpRegistry.global());
        PointwiseRules.install(in);
        ShapeRules.install(in);
        ContractionRules.install(in);
        ReductionRules.install(in);
        IndexingRules.install(in);
        StructuralRules.install(in);
        installed = true;
    }

    /**
     * The op's rule (installing the rules first if needed): a rule written on the op as {@code sdy.sharding_rule}
     * wins, as in Shardy; otherwise the registered one. Refuses an exempt or unknown op by name and location.
     */
    public static OpShardingRule of(Operation op) {
        install();
        if (op.attributes().get("sdy.sharding_rule") instanceof OpShardingRule own) return own;
        OpDef def = op.def();
        ShardingRuleFactory f = def == null ? null : def.extension(ShardingRuleFactory.class);
        if (f == null) {
            String why = def == null ? "no dialect declares it" : EXEMPT.contains(op.name()) ? "it holds no tensors of its own"
                    : "no rule is registered";
            throw new Hlo4jException("no sharding rule for '" + op.name() + "': " + why, op.location());
        }
        return f.ruleFor(op);
    }

    /** Whether the op has a rule (false for exempt and unknown ops). */
    public static boolean hasRule(Operation op) {
        install();
        OpDef def = op.def();
        return def != null && def.extension(ShardingRuleFactory.class) != null;
    }

    /**
     * Whether dimension {@code d} of a reduce_window (or select_and_scatter) maps elements one to one (window 1,
     * stride 1, no padding, no base dilation): only such a dimension may be split into local blocks.
     */
    public static boolean windowDimIsOneToOne(Operation op, int d) { return ReductionRules.windowPassThrough(op, d); }

    /** Registration helper: refuses names the registry does not know, so a typo cannot silently drop a rule. */
    static final class Installer {
        private final OpRegistry registry;

        Installer(OpRegistry registry) { this.registry = registry; }

        void rule(String opName, ShardingRuleFactory rule) { def(opName).attach(ShardingRuleFactory.class, rule); }

        void rule(ShardingRuleFactory rule, String... opNames) { for (String n : opNames) rule(n, rule); }

        /** Every registered op with the trait that has no rule yet. */
        void ruleForTrait(OpTrait trait, ShardingRuleFactory rule) {
            for (OpDef d : registry.all()) {
                if (d.has(trait) && d.extension(ShardingRuleFactory.class) == null) d.attach(ShardingRuleFactory.class, rule);
            }
        }

        private OpDef def(String opName) {
            OpDef d = registry.lookup(opName);
            if (d == null) throw new IllegalStateException("sharding rule registration names unknown op '" + opName + "'");
            return d;
        }
    }
}
