package io.hlo4j.compiler.batch;

import io.hlo4j.compiler.ad.Cloner;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.build.StablehloBuilder;
import io.hlo4j.mlir.dialect.stablehlo.attr.Dims;
import io.hlo4j.mlir.dialect.stablehlo.attr.TypeExtensions;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One batching sweep over a block into one builder: a function body, or a region body (loop body, branch) whose
 * sweep sees the enclosing sweep's values. Holds each original value's batched counterpart and the helpers rules
 * use to move batch dimensions, broadcast unbatched operands and re-emit ops.
 */
public final class Batcher {
    private final IrBuilder ir;
    private final StablehloBuilder h;
    private final long size;
    private final Batcher parent;
    private final Map<Value, Batched> env = new IdentityHashMap<>();
    private final java.util.function.Function<String, Operation> symbols;
    private final String inlining;                  // the function whose body this sweep inlines, or null
    private final KeptCalls kept;                   // calls kept as calls of batched callees, or null: one function alone
    private Location loc = Location.UNKNOWN;

    Batcher(IrBuilder ir, long size, Batcher parent) {
        this(ir, size, parent, parent == null ? null : parent.symbols, null, parent == null ? null : parent.kept);
    }

    Batcher(IrBuilder ir, long size, Batcher parent, java.util.function.Function<String, Operation> symbols, String inlining,
            KeptCalls kept) {
        this.ir = ir;
        this.kept = kept;
        this.h = new StablehloBuilder(ir);
        this.size = size;
        this.parent = parent;
        this.symbols = symbols;
        this.inlining = inlining;
        if (parent != null) this.loc = parent.loc;
    }

    /**
     * The module's function {@code name} (a callee, a composite's decomposition), or null when vmap was given no
     * module ({@link Batching#vmap(Operation, int[], int[], long, String)} batches one function alone).
     */
    public Operation symbol(String name) { return symbols == null ? null : symbols.apply(name); }

    /** Whether vmap was given the module's functions, so calls and composites are batched through their callees. */
    public boolean hasSymbols() { return symbols != null; }

    /** Calls kept as calls of batched callees, or null when vmap was given one function alone. */
    KeptCalls kept() { return kept; }

    /** Whether vmap inlines {@code op} wherever it is, batched or not: a composite, given the module (calls stay calls). */
    private boolean inlines(Operation op) {
        return symbols != null && op.name().equals("stablehlo.composite");
    }

    /**
     * Batches {@code func}'s body straight into this builder, its arguments bound to {@code args} (a composite inlined);
     * a function already being inlined on this path (recursion, which StableHLO has not) is refused by {@code op}.
     */
    public List<Batched> inlineFunction(Operation op, Operation func, List<Batched> args) {
        String name = ((io.hlo4j.mlir.attr.StringAttr) func.attr("sym_name")).value();
        for (Batcher x = this; x != null; x = x.parent) {
            if (name.equals(x.inlining)) throw refuse(op, args, "@" + name + " calls itself (StableHLO functions cannot recurse)");
        }
        return new Batcher(ir, size, this, symbols, name, kept).sweep(func.region(0).entry(), args);
    }

    public IrBuilder ir() { return ir; }
    public StablehloBuilder hlo() { return h; }
    /** The batch size. */
    public long size() { return size; }
    /** The location of the op being batched (the user's line); every emitted op carries it. */
    public Location loc() { return loc; }

    /** The batched counterpart of an original value (of this block or an enclosing one). */
    public Batched lookup(Value orig) {
        for (Batcher b = this; b != null; b = b.parent) {
            Batched x = b.env.get(orig);
            if (x != null) return x;
        }
        throw new Hlo4jException("vmap: internal: value of type " + orig.type() + " used before it was batched", loc);
    }

    void bind(Value orig, Batched now) { env.put(orig, now); }

    /** Batches the ops of {@code block} with its arguments bound to {@code args}; returns the terminator's operands. */
    List<Batched> sweep(Block block, List<Batched> args) {
        for (int i = 0; i < args.size(); i++) bind(block.argument(i), args.get(i));
        Operation term = block.terminator();
        for (Operation op : block.operations()) if (op != term) apply(op);
        List<Batched> outs = new ArrayList<>();
        for (Value v : term.operands()) outs.add(lookup(v));
        return outs;
    }

    private void apply(Operation op) {
        List<Batched> ins = new ArrayList<>();
        boolean any = false;
        for (Value v : op.operands()) {
            Batched x = lookup(v);
            ins.add(x);
            any |= x.batched();
        }
        List<Value> captured = Cloner.captured(op.regions());
        for (Value v : captured) any |= lookup(v).batched();
        Location prev = loc;
        loc = op.location();
        try {
            // with the module's functions at hand a composite is always inlined, so the batched function names no
            // decomposition (one inside a region copied unbatched too: copyUnbatched and copyRegion sweep such regions)
            boolean inlined = inlines(op);
            if (!any && !inlined) {
                List<OpResult> rs = copyUnbatched(op, captured);
                for (int i = 0; i < rs.size(); i++) bind(op.result(i), Batched.unbatched(rs.get(i)));
                return;
            }
            OpDef def = op.def();
            BatchRule rule = def == null ? null : def.extension(BatchRule.class);
            if (rule == null) {
                throw new Hlo4jException("vmap: '" + op.name() + "' has no batching rule (operands " + describe(ins) + ")", op.location());
            }
            List<Batched> outs = rule.batch(this, op, ins);
            if (outs.size() != op.numResults()) {
                throw new IllegalStateException("batching rule of " + op.name() + " returned " + outs.size() + " values for "
                        + op.numResults() + " results");
            }
            for (int i = 0; i < outs.size(); i++) bind(op.result(i), outs.get(i));
        } finally {
            loc = prev;
        }
    }

    static String describe(List<Batched> xs) {
        List<String> s = new ArrayList<>();
        for (Batched x : xs) s.add(x.describe());
        return s.toString();
    }

    // ---- copies ------------------------------------------------------------------------------------------

    /**
     * Copies {@code op} unchanged: none of its inputs (operands and values its regions capture) is batched. Given the
     * module, a region holding a composite is swept instead, so the composite is inlined.
     */
    private List<OpResult> copyUnbatched(Operation op, List<Value> captured) {
        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value v : op.operands()) map.put(v, lookup(v).value());
        for (Value v : captured) map.put(v, lookup(v).value());
        if (!callsInside(op.regions())) return ir.append(Cloner.copy(op, map), loc).results();
        Operation.Builder c = Cloner.shell(op, map, Cloner.Options.KEEP);
        for (Region r : op.regions()) c.region(sweepUnbatched(r));
        return ir.append(c, loc).results();
    }

    /**
     * Whether a composite that vmap inlines sits anywhere in {@code regions}: such a region is swept, not copied, so
     * that the composite is inlined there too.
     */
    private boolean callsInside(List<Region> regions) {
        if (symbols == null) return false;
        for (Region r : regions) {
            for (Block bl : r.blocks()) {
                for (Operation o : bl.operations()) {
                    if (inlines(o) || callsInside(o.regions())) return true;
                }
            }
        }
        return false;
    }

    /** A region whose inputs are all unbatched, swept (so its composites are inlined) rather than copied; it stays unbatched. */
    private Region sweepUnbatched(Region r) {
        if (r.blocks().size() != 1) throw new IllegalStateException("vmap: a region of " + r.blocks().size() + " blocks");
        Block block = r.entry();
        List<Type> ts = new ArrayList<>();
        List<Integer> none = new ArrayList<>();
        for (Value a : block.arguments()) { ts.add(a.type()); none.add(Batched.NONE); }
        return region(block, ts, none, (child, args, outs) -> {
            List<Value> ys = new ArrayList<>();
            for (Batched o : outs) {
                if (o.batched()) throw new IllegalStateException("vmap: internal: a region of unbatched inputs yields " + o.describe());
                ys.add(o.value());
            }
            return ys;
        });
    }

    /**
     * A copy of a region that works per element (a reduce body, a sort comparator); a batched value captured by it
     * is refused, naming the op. A composite inside it is inlined (given the module), as everywhere else.
     */
    public Region copyRegion(Operation op, Region r) {
        Map<Value, Value> map = new IdentityHashMap<>();
        for (Value v : Cloner.captured(List.of(r))) {
            Batched x = lookup(v);
            if (x.batched()) {
                throw new Hlo4jException("vmap: a region of '" + op.name() + "' reads a batched value (" + x.describe()
                        + ") from outside; only its operands may be batched", op.location());
            }
            map.put(v, x.value());
        }
        return callsInside(List.of(r)) ? sweepUnbatched(r) : Cloner.copy(r, map);
    }

    /**
     * Batches {@code block} into a new region of this builder: arguments of {@code argTypes} bound with batch dims
     * {@code argBdims}; {@code finish} turns the swept block's results into the values the region yields.
     */
    Region region(Block block, List<? extends Type> argTypes, List<Integer> argBdims, Finish finish) {
        IrBuilder nb = ir.nested();
        Batcher child = new Batcher(nb, size, this);
        List<Batched> args = new ArrayList<>();
        for (int i = 0; i < argTypes.size(); i++) args.add(Batched.of(nb.addArgument(argTypes.get(i), loc), argBdims.get(i)));
        List<Batched> outs = child.sweep(block, args);
        List<Value> ys = finish.apply(child, args, outs);
        return nb.sealRegion(ys, block.terminator().name(), loc);
    }

    /** Turns a swept region's results into the values it yields; {@code args} are the region's own arguments. */
    @FunctionalInterface
    interface Finish { List<Value> apply(Batcher child, List<Batched> args, List<Batched> outs); }

    /**
     * Batches {@code block} straight into this builder (a branch turned into a select, a loop condition re-evaluated
     * in the loop body); its arguments are bound to {@code args}.
     */
    List<Batched> inline(Block block, List<Batched> args) { return new Batcher(ir, size, this).sweep(block, args); }

    // ---- moving batch dimensions ---------------------------------------------------------------------------

    /** A batched value with its batch dimension moved to {@code dim}. */
    public Value moveTo(Batched x, int dim) {
        if (!x.batched()) throw new IllegalStateException("moveTo on an unbatched value");
        if (x.bdim() == dim) return x.value();
        int r = x.type().rank();
        List<Long> order = new ArrayList<>();
        for (long i = 0; i < r; i++) if (i != x.bdim()) order.add(i);
        order.add(dim, (long) x.bdim());
        return h.transpose(x.value(), order.stream().mapToLong(Long::longValue).toArray(), loc);
    }

    /** {@code x} with its batch dimension at {@code dim}; an unbatched value is broadcast along a new dimension there. */
    public Value materialize(Batched x, int dim) {
        if (x.batched()) return moveTo(x, dim);
        TensorType t = x.type();
        long[] dims = new long[t.rank()];
        for (int i = 0; i < dims.length; i++) dims[i] = i < dim ? i : i + 1;
        return h.broadcastInDim(x.value(), insert(t, dim, size).shape(), dims, loc);
    }

    /** Example {@code i} of a batched value: its batch dimension sliced at {@code i} and dropped. */
    public Value example(Batched x, long i) {
        long[] shape = x.type().shape(), start = new long[shape.length], limit = shape.clone(), strides = new long[shape.length];
        java.util.Arrays.fill(strides, 1);
        start[x.bdim()] = i;
        limit[x.bdim()] = i + 1;
        Value s = h.slice(x.value(), start, limit, strides, loc);
        long[] out = new long[shape.length - 1];
        for (int d = 0, k = 0; d < shape.length; d++) if (d != x.bdim()) out[k++] = shape[d];
        return h.reshape(s, out, loc);
    }

    /** {@code t} with a dimension of size {@code n} inserted at {@code dim} (a bounds encoding gets no bound there). */
    public static TensorType insert(TensorType t, int dim, long n) {
        long[] s = t.shape(), out = new long[s.length + 1];
        for (int i = 0, j = 0; i < out.length; i++) out[i] = i == dim ? n : s[j++];
        if (t.encoding() instanceof TypeExtensions te) {
            long[] b = te.bounds().toArray(), nb = new long[b.length + 1];
            for (int i = 0, j = 0; i < nb.length; i++) nb[i] = i == dim ? Dims.DYNAMIC : b[j++];
            return TensorType.of(t.elementType(), out, new TypeExtensions(Dims.of(nb)));
        }
        return t.withShape(out);
    }

    /** An example type with the batch dimension inserted at {@code dim}. */
    public TensorType batchedType(Type exampleType, int dim) {
        if (!(exampleType instanceof TensorType t)) throw new Hlo4jException("vmap: cannot batch a value of type " + exampleType, loc);
        return insert(t, dim, size);
    }

    /**
     * Re-emits {@code op} with new operands, regions and result types; its properties are kept except those in
     * {@code overrides}.
     */
    public List<OpResult> emitLike(Operation op, List<? extends Value> operands, Map<String, ? extends Attribute> overrides,
                                   List<Region> regions, List<? extends Type> resultTypes) {
        Operation.Builder b = Operation.builder(op.name()).location(loc).properties(op.properties()).attributes(op.attributes())
                .operands(operands).regions(regions).resultTypes(resultTypes);
        for (Map.Entry<String, ? extends Attribute> e : overrides.entrySet()) b.property(e.getKey(), e.getValue());
        return ir.append(b, loc).results();
    }

    /** The example result types of {@code op}, each with the batch dimension inserted at {@code dim}. */
    public List<Type> batchedResults(Operation op, int dim) {
        List<Type> ts = new ArrayList<>();
        for (Value r : op.results()) ts.add(batchedType(r.type(), dim));
        return ts;
    }

    /** All results of {@code rs} batched at {@code dim}. */
    public static List<Batched> all(List<? extends Value> rs, int dim) {
        List<Batched> out = new ArrayList<>();
        for (Value v : rs) out.add(Batched.of(v, dim));
        return out;
    }

    /** A refusal naming the op, its operands and the user's line. */
    public Hlo4jException refuse(Operation op, List<Batched> args, String why) {
        return new Hlo4jException("vmap: cannot batch '" + op.name() + "' with operands " + describe(args) + ": " + why, op.location());
    }
}
