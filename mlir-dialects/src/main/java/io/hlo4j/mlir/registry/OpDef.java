package io.hlo4j.mlir.registry;

import io.hlo4j.mlir.ir.Operation;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The single declaration of one op: name, inherent attributes, syntax, verifier, type inference, traits and
 * a name hint for its results. Later layers attach their rule for the op (interpreter kernel, VJP rule,
 * sharding rule) as an extension keyed by the rule's interface, so everything about an op is reachable from
 * here and a registry test can check nothing is missing.
 */
public final class OpDef {
    private final String name;
    private final String summary;
    private final Set<String> inherentAttributes;
    private final OpSyntax syntax;
    private final OpVerifier verifier;
    private final TypeInference typeInference;
    private final boolean inferenceVerifies;
    private final Set<OpTrait> traits;
    private final ResultNamer resultNamer;
    private final BlockArgumentNamer blockArgumentNamer;
    private final Map<Class<?>, Object> extensions = new ConcurrentHashMap<>();

    /** The SSA name stem upstream's printer gives an op's results ({@code cst}, {@code c}, {@code iterArg}). */
    @FunctionalInterface
    public interface ResultNamer {
        /** Name stems per result, or null to use plain numbering. */
        String[] names(Operation op);
    }

    /**
     * The SSA name stems upstream's printer gives the entry-block arguments of an op's regions (MLIR's
     * {@code getAsmBlockArgumentNames}): {@code stablehlo.while} names both regions' arguments {@code iterArg}.
     */
    @FunctionalInterface
    public interface BlockArgumentNamer {
        /** Name stems per entry-block argument of region {@code regionIndex}, or null for plain numbering. */
        String[] names(Operation op, int regionIndex);
    }

    private OpDef(Builder b) {
        this.name = Objects.requireNonNull(b.name);
        this.summary = b.summary == null ? "" : b.summary;
        this.inherentAttributes = Set.copyOf(b.inherentAttributes);
        this.syntax = Objects.requireNonNull(b.syntax, () -> name + ": syntax (or OpSyntax.GENERIC) is required");
        this.verifier = Objects.requireNonNull(b.verifier, () -> name + ": a verifier is required");
        this.typeInference = b.typeInference;
        this.inferenceVerifies = b.inferenceVerifies;
        if (inferenceVerifies && typeInference == null) throw new IllegalStateException(name + ": inferenceVerifies needs a type inference");
        this.traits = Set.copyOf(b.traits);
        this.resultNamer = b.resultNamer;
        this.blockArgumentNamer = b.blockArgumentNamer;
    }

    public String name() { return name; }
    public String summary() { return summary; }
    public Set<String> inherentAttributes() { return inherentAttributes; }
    public boolean isInherent(String attrName) { return inherentAttributes.contains(attrName); }
    public OpSyntax syntax() { return syntax; }
    public boolean hasPrettySyntax() { return syntax != OpSyntax.GENERIC; }
    public OpVerifier verifier() { return verifier; }
    /** May be null when results cannot be inferred from operands alone (e.g. reshape). */
    public TypeInference typeInference() { return typeInference; }
    /**
     * True when the type inference checks every constraint the verifier does, so an op whose result types are that
     * inference's is valid as built: a builder that inferred them skips the verifier's second run of the same rule.
     */
    public boolean inferenceVerifies() { return inferenceVerifies; }
    public Set<OpTrait> traits() { return traits; }
    public boolean has(OpTrait t) { return traits.contains(t); }
    public ResultNamer resultNamer() { return resultNamer; }
    /** May be null: region arguments are then numbered like any other value. */
    public BlockArgumentNamer blockArgumentNamer() { return blockArgumentNamer; }

    /** Attaches a later layer's rule (kernel, VJP, sharding) for this op; replacing one is an error. */
    public <T> void attach(Class<T> kind, T rule) {
        Object prev = extensions.putIfAbsent(kind, rule);
        if (prev != null && prev != rule) {
            throw new IllegalStateException(name + " already has a " + kind.getSimpleName());
        }
    }

    /** The rule of that kind attached to this op, or null. */
    public <T> T extension(Class<T> kind) { return kind.cast(extensions.get(kind)); }

    public static Builder builder(String name) { return new Builder(name); }

    @Override public String toString() { return "OpDef(" + name + ")"; }

    public static final class Builder {
        private final String name;
        private String summary;
        private Set<String> inherentAttributes = Set.of();
        private OpSyntax syntax;
        private OpVerifier verifier;
        private TypeInference typeInference;
        private boolean inferenceVerifies;
        private Set<OpTrait> traits = Set.of();
        private ResultNamer resultNamer;
        private BlockArgumentNamer blockArgumentNamer;

        private Builder(String name) { this.name = name; }

        public Builder summary(String s) { summary = s; return this; }
        public Builder inherent(String... attrs) { inherentAttributes = Set.of(attrs); return this; }
        public Builder syntax(OpSyntax s) { syntax = s; return this; }
        public Builder verifier(OpVerifier v) { verifier = v; return this; }
        public Builder inference(TypeInference t) { typeInference = t; return this; }
        /** Declares that {@code t} checks all the verifier checks (see {@link OpDef#inferenceVerifies}). */
        public Builder inferenceThatVerifies(TypeInference t) { typeInference = t; inferenceVerifies = true; return this; }
        public Builder traits(OpTrait... ts) { traits = Set.of(ts); return this; }
        public Builder resultNamer(ResultNamer n) { resultNamer = n; return this; }
        public Builder blockArgumentNamer(BlockArgumentNamer n) { blockArgumentNamer = n; return this; }
        public OpDef build() { return new OpDef(this); }
    }
}
