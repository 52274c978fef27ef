package io.hlo4j.dsl;

import io.hlo4j.mlir.build.IrBuilder;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Structured control flow that traces each body exactly once into a region: {@code cond} (stablehlo.if),
 * {@code switchCase} (stablehlo.case), {@code whileLoop}/{@code foriLoop} (stablehlo.while) and {@code scan}
 * (a while loop over the leading axis that stacks per-step outputs). Bodies may read tensors of enclosing scopes.
 */
public final class Control {
    private Control() {}

    /** Results of one scan: the final carry and the per-step outputs stacked along a new leading axis. */
    public record ScanResult(List<Tensor> carry, List<Tensor> ys) {}

    /** One scan step's return: the next carry and this step's outputs. */
    public record Step(List<Tensor> carry, List<Tensor> ys) {}

    /**
     * {@code pred ? onTrue() : onFalse()}: {@code pred} a bool scalar, both branches returning tensors of the same
     * types (stablehlo.if's checks, which name the mismatching types at the caller's line).
     */
    public static List<Tensor> cond(Tensor pred, Supplier<List<Tensor>> onTrue, Supplier<List<Tensor>> onFalse) {
        Location loc = SourceLoc.here();
        return branches("cond", "stablehlo.if", pred, List.of(onTrue, onFalse), loc);
    }

    /**
     * Runs branch {@code index} (an i32 scalar; out of range runs the last branch, as the spec says); at least one
     * branch, all returning the same types (stablehlo.case's checks).
     */
    public static List<Tensor> switchCase(Tensor index, List<Supplier<List<Tensor>>> branches) {
        Location loc = SourceLoc.here();
        return branches("switchCase", "stablehlo.case", index, branches, loc);
    }

    private static List<Tensor> branches(String op, String opName, Tensor selector, List<Supplier<List<Tensor>>> bodies, Location loc) {
        List<Region> regions = new ArrayList<>();
        for (Supplier<List<Tensor>> body : bodies) regions.add(Trace.region(List.of(), args -> body.get(), op, loc));
        return wrap(Trace.emit(opName, List.of(selector), Map.of(), regions, null, op, loc));
    }

    /**
     * {@code while cond(carry): carry = body(carry)}: cond returns a bool scalar and body keeps the carried shapes
     * and dtypes (stablehlo.while's checks, which name the types at the caller's line).
     */
    public static List<Tensor> whileLoop(List<Tensor> init, Function<List<Tensor>, Tensor> cond, Function<List<Tensor>, List<Tensor>> body) {
        Location loc = SourceLoc.here();
        List<Type> types = init.stream().<Type>map(Tensor::type).toList();
        Region c = Trace.region(types, args -> List.of(cond.apply(args)), "whileLoop", loc);
        Region b = Trace.region(types, body, "whileLoop", loc);
        return wrap(Trace.emit("stablehlo.while", init, Map.of(), List.of(c, b), null, "whileLoop", loc));
    }

    /** {@code for i in [lower, upper): carry = body(i, carry)} with {@code i} an i32 scalar. */
    public static List<Tensor> foriLoop(int lower, int upper, BiFunction<Tensor, List<Tensor>, List<Tensor>> body, List<Tensor> init) {
        List<Tensor> all = new ArrayList<>();
        all.add(Ops.scalar(lower, DType.I32));
        all.addAll(init);
        Tensor hi = Ops.scalar(upper, DType.I32);
        List<Tensor> out = whileLoop(all, c -> Ops.lt(c.get(0), hi), c -> {
            List<Tensor> next = new ArrayList<>();
            next.add(Ops.add(c.get(0), 1.0));
            next.addAll(body.apply(c.get(0), c.subList(1, c.size())));
            return next;
        });
        return out.subList(1, out.size());
    }

    /**
     * {@code scan}: for each slice {@code x_i} of {@code xs} along axis 0, {@code (carry, y_i) = f(carry, x_i)};
     * returns the final carry and the stacked {@code y}. The body is traced once; the output accumulators become
     * loop-carried values once their shapes are known from that trace.
     */
    public static ScanResult scan(BiFunction<List<Tensor>, List<Tensor>, Step> f, List<Tensor> init, List<Tensor> xs) {
        Location loc = SourceLoc.here();
        if (xs.isEmpty()) throw new DslException("scan", "needs at least one sequence in xs", loc);
        long n = xs.get(0).rank() == 0 ? -1 : xs.get(0).dims()[0];
        for (Tensor x : xs) {
            if (x.rank() == 0 || x.dims()[0] != n) throw new DslException("scan", "sequences must share a leading axis, got " + Tensor.describeAll(xs), loc);
        }
        Trace outer = Trace.current("scan", loc);
        for (Tensor x : xs) Trace.use(x, "scan", loc);
        for (Tensor c : init) Trace.use(c, "scan", loc);
        TensorType i32 = TensorType.scalar(IntegerType.I32);
        IrBuilder body = outer.ir().nested();
        Tensor i = new Tensor(body.addArgument(i32, loc));
        List<Tensor> carry = new ArrayList<>();
        for (Tensor c : init) carry.add(new Tensor(body.addArgument(c.type(), loc)));
        List<Value> yields = new ArrayList<>();
        List<TensorType> yTypes = new ArrayList<>();
        Trace.within(body, () -> {
            List<Tensor> xi = new ArrayList<>();
            Tensor zero = Ops.scalar(0, DType.I32);
            for (Tensor x : xs) {
                List<Tensor> starts = new ArrayList<>();
                starts.add(i);
                for (int d = 1; d < x.rank(); d++) starts.add(zero);
                long[] sizes = x.dims();
                sizes[0] = 1;
                Tensor sl = Ops.dynamicSlice(x, starts, sizes);
                long[] rest = new long[x.rank() - 1];
                System.arraycopy(x.dims(), 1, rest, 0, rest.length);
                xi.add(Ops.reshape(sl, rest));
            }
            // A carry whose types change is refused by stablehlo.while's rule (while_c2), which names all the loop's types.
            Step step = f.apply(List.copyOf(carry), xi);
            List<Tensor> accs = new ArrayList<>();
            for (Tensor y : step.ys()) {
                long[] d = new long[y.rank() + 1];
                d[0] = n;
                System.arraycopy(y.dims(), 0, d, 1, y.rank());
                TensorType t = TensorType.of(y.type().elementType(), d);
                yTypes.add(t);
                Tensor acc = new Tensor(body.addArgument(t, loc));
                List<Tensor> starts = new ArrayList<>();
                starts.add(i);
                for (int k = 0; k < y.rank(); k++) starts.add(zero);
                long[] one = d.clone();
                one[0] = 1;
                accs.add(Ops.dynamicUpdateSlice(acc, Ops.reshape(y, one), starts));
            }
            yields.add(Ops.add(i, 1.0).value());
            for (Tensor c : step.carry()) yields.add(Trace.use(c, "scan", loc));
            for (Tensor a : accs) yields.add(a.value());
            return null;
        });
        Region bodyRegion = body.sealRegion(yields, "stablehlo.return", loc);
        List<Type> types = new ArrayList<>();
        types.add(i32);
        for (Tensor c : init) types.add(c.type());
        types.addAll(yTypes);
        Tensor limit = Ops.scalar(n, DType.I32);
        Region condRegion = Trace.region(types, args -> List.of(Ops.lt(args.get(0), limit)), "scan", loc);
        List<Tensor> initAll = new ArrayList<>();
        initAll.add(Ops.scalar(0, DType.I32));
        initAll.addAll(init);
        for (TensorType t : yTypes) initAll.add(Ops.zeros(new Shape(t.shape()), DType.of(t.elementType())));
        List<Tensor> out = wrap(Trace.emit("stablehlo.while", initAll, Map.of(), List.of(condRegion, bodyRegion), null, "scan", loc));
        return new ScanResult(out.subList(1, 1 + init.size()), out.subList(1 + init.size(), out.size()));
    }

    static List<Tensor> wrap(List<OpResult> rs) {
        List<Tensor> out = new ArrayList<>(rs.size());
        for (OpResult r : rs) out.add(new Tensor(r));
        return List.copyOf(out);
    }
}
