package io.hlo4j.compiler.ad;

import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Deep copies of ops (regions included) with operands renamed through a value map; the IR is immutable. Public for
 * the DSL, which copies a transformed function into the caller's trace the same way. The one region walk of the
 * compiler: the partitioner, propagation and manual bodies copy through here with their variants as {@link Options}.
 */
public final class Cloner {
    private Cloner() {}

    /**
     * Every value the regions (nested ones included) read but do not define, in first-use order: what a loop body or
     * a branch captures from the enclosing scope.
     */
    public static List<Value> captured(List<Region> regions) {
        Set<Value> defined = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Set<Value> used = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        List<Value> order = new ArrayList<>();
        for (Region r : regions) collectUses(r, defined, used, order);
        List<Value> out = new ArrayList<>();
        for (Value v : order) if (!defined.contains(v)) out.add(v);
        return out;
    }

    private static void collectUses(Region r, Set<Value> defined, Set<Value> used, List<Value> order) {
        for (Block b : r.blocks()) {
            defined.addAll(b.arguments());
            for (Operation op : b.operations()) {
                for (Value v : op.operands()) if (used.add(v)) order.add(v);
                defined.addAll(op.results());
                for (Region inner : op.regions()) collectUses(inner, defined, used, order);
            }
        }
    }

    /** What to do with an operand the map lacks (it was defined outside the ops being copied). */
    @FunctionalInterface
    public interface Outside {
        Value resolve(Value v, Operation user);
    }

    /**
     * The variants of a copy. {@code dropped}: attribute names left off every copied op, nested ones included;
     * {@code channels} (null: keep them): a fresh handle for every copied op that has a channel handle, since two
     * collectives must not share one; {@code outside}: the operand an unmapped value becomes, or a refusal.
     */
    public record Options(Set<String> dropped, Supplier<ChannelHandle> channels, Outside outside) {
        /** Attributes and channels kept; an unmapped operand is used as it is (see {@link #lookup}). */
        public static final Options KEEP = new Options(Set.of(), null, (v, user) -> v);

        public Options {
            dropped = Set.copyOf(dropped);
        }

        public Options dropping(String... names) {
            return new Options(Set.of(names), channels, outside);
        }

        public Options renumbering(Supplier<ChannelHandle> fresh) {
            return new Options(dropped, fresh, outside);
        }

        public Options outside(Outside o) {
            return new Options(dropped, channels, o);
        }
    }

    /** A builder for a copy of {@code op}: operands mapped, regions copied; results are added to the map by the caller. */
    public static Operation.Builder copy(Operation op, Map<Value, Value> map) {
        return copy(op, map, Options.KEEP);
    }

    public static Region copy(Region r, Map<Value, Value> map) {
        return copy(r, map, Options.KEEP);
    }

    public static Operation.Builder copy(Operation op, Map<Value, Value> map, Options o) {
        Operation.Builder b = shell(op, map, o);
        for (Region r : op.regions()) b.region(copy(r, map, o));
        return b;
    }

    public static Region copy(Region r, Map<Value, Value> map, Options o) {
        return rebuild(r, map, inner -> copy(inner, map, o).build());
    }

    /** A builder for a copy of {@code op} without its regions: name, location, properties, attributes, types, operands. */
    public static Operation.Builder shell(Operation op, Map<Value, Value> map, Options o) {
        return shell(op, map, o, op.resultTypes());
    }

    /** As above with other result types (an op rewritten onto local blocks keeps all but its types). */
    public static Operation.Builder shell(Operation op, Map<Value, Value> map, Options o, List<? extends Type> resultTypes) {
        DictionaryAttr attrs = op.attributes();
        for (String name : o.dropped()) attrs = attrs.without(name);
        Operation.Builder b = Operation.builder(op.name()).location(op.location())
                .properties(op.properties()).attributes(attrs).resultTypes(resultTypes);
        if (o.channels() != null && op.attr("channel_handle") instanceof ChannelHandle) b.property("channel_handle", o.channels().get());
        for (Value v : op.operands()) {
            Value m = map.get(v);
            b.operand(m != null ? m : o.outside().resolve(v, op));
        }
        return b;
    }

    /**
     * The block walk every deep copy shares: each block gets fresh arguments (label and locations kept), each op is
     * turned into its copy by {@code each}, and old values map to new ones in {@code map} as they go.
     */
    public static Region rebuild(Region r, Map<Value, Value> map, Function<Operation, Operation> each) {
        return Region.rebuild(r, map, each);
    }

    /**
     * A value not in the map was defined outside the ops being copied: a region sweep's captured value, used as it
     * is (the builder refuses it by name when it is not visible there).
     */
    public static Value lookup(Map<Value, Value> map, Value v, Operation user) {
        Value m = map.get(v);
        return m != null ? m : v;
    }
}
