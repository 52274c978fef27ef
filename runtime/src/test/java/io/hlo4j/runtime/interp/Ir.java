package io.hlo4j.runtime.interp;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DenseArrayAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.OpaqueAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.ElementType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Builds small test programs with the IR builders (tests must not depend on the parser). */
final class Ir {
    final Block.Builder block = Block.builder();

    static TensorType t(ElementType e, long... shape) { return TensorType.of(e, shape); }

    static DenseArrayAttr i64s(long... v) { return DenseArrayAttr.ofI64(v); }

    static IntegerAttr i64(long v) { return IntegerAttr.i64(v); }

    /** A dialect attribute by its canonical text (kernels read these from text). */
    static Attribute text(String s) { return new OpaqueAttr(s); }

    Value arg(Type t) { return block.addArgument(t); }

    /** Appends an op with properties given as name/attribute pairs; returns its results. */
    List<? extends Value> ops(String name, List<Value> operands, List<Type> results, List<Region> regions, Object... props) {
        Operation.Builder b = Operation.builder(name).operands(operands).resultTypes(results).regions(regions);
        for (int i = 0; i < props.length; i += 2) b.property((String) props[i], (Attribute) props[i + 1]);
        return block.append(b.build()).results();
    }

    Value op(String name, List<Value> operands, Type result, Object... props) {
        return ops(name, operands, List.of(result), List.of(), props).get(0);
    }

    void ret(String name, Value... vs) { ops(name, List.of(vs), List.of(), List.of()); }

    /** A single-block region whose body {@code body} builds, returning values with stablehlo.return. */
    static Region region(List<Type> argTypes, Function<Ir, List<Value>> body) {
        Ir r = new Ir();
        List<Value> args = new ArrayList<>();
        for (Type t : argTypes) args.add(r.arg(t));
        List<Value> out = body.apply(r);
        r.ret("stablehlo.return", out.toArray(Value[]::new));
        return Region.of(r.block.build());
    }

    /** A scalar binary combiner region {@code ^bb0(a, b): return OP(a, b)}. */
    static Region combiner(String opName, ElementType e) {
        TensorType s = TensorType.scalar(e);
        return region(List.of(s, s), r -> List.of(r.op(opName, List.of(r.blockArg(0), r.blockArg(1)), s)));
    }

    Value blockArg(int i) { return block.arguments().get(i); }

    /** Finishes as {@code func.func @name} returning {@code results}. */
    Operation func(String name, Value... results) {
        List<Type> in = block.arguments().stream().map(Value::type).toList();
        List<Type> out = new ArrayList<>();
        for (Value v : results) out.add(v.type());
        ret("func.return", results);
        return Operation.builder("func.func").property("sym_name", new StringAttr(name))
                .property("function_type", new TypeAttr(new FunctionType(in, out)))
                .region(Region.of(block.build())).build();
    }

    static Module module(Operation... funcs) { return Module.of(null, null, List.of(funcs), null); }

    /** Runs a one-function module on inputs. */
    static List<RtValue> run(Operation func, RtValue... inputs) {
        return new Interpreter(module(func)).run(List.of(inputs));
    }

    static Tensor ints(ElementType e, long[] shape, long... v) { return Tensor.ofInts(TensorType.of(e, shape), v); }

    static Tensor reals(ElementType e, long[] shape, double... v) { return Tensor.ofDoubles(TensorType.of(e, shape), v); }

    static long[] shape(long... s) { return s; }
}
