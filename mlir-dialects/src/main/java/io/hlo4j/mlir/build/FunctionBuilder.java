package io.hlo4j.mlir.build;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The body of one {@code func.func}: arguments first, then ops, then {@link #finish} with the returned values. */
public final class FunctionBuilder extends IrBuilder {
    private final String name;
    private final Location location;
    private final List<Type> argTypes;
    private String visibility;
    private List<DictionaryAttr> argAttrs;
    private List<DictionaryAttr> resultAttrs;
    private Operation finished;

    FunctionBuilder(String name, List<? extends Type> argTypes, Location loc, OpRegistry registry) {
        super(null, registry);
        this.name = name;
        this.location = loc;
        this.argTypes = List.copyOf(argTypes);
        for (Type t : argTypes) addArgument(t, loc);
    }

    public String name() { return name; }

    /** {@code "private"} for helpers called from {@code @main}; null (public) by default. */
    public FunctionBuilder visibility(String v) { visibility = v; return this; }

    /** Per-argument attribute dictionaries (e.g. {@code mhlo.sharding}); one per argument. */
    public FunctionBuilder argAttrs(List<DictionaryAttr> attrs) { argAttrs = List.copyOf(attrs); return this; }

    public FunctionBuilder resultAttrs(List<DictionaryAttr> attrs) { resultAttrs = List.copyOf(attrs); return this; }

    /** Emits {@code func.return results} and builds the {@code func.func}; verified like any op. */
    public Operation finish(List<? extends Value> results, Location returnLoc) {
        if (finished != null) throw new IllegalStateException("function @" + name + " is already finished");
        List<Type> resultTypes = new ArrayList<>();
        for (Value v : results) resultTypes.add(v.type());
        emit("func.return", results, Map.of(), List.of(), List.of(), returnLoc);
        Operation.Builder b = Operation.builder("func.func")
                .property("sym_name", new StringAttr(name))
                .property("function_type", new TypeAttr(new FunctionType(argTypes, resultTypes)))
                .region(Region.of(seal()))
                .location(location);
        if (visibility != null) b.property("sym_visibility", new StringAttr(visibility));
        if (argAttrs != null) b.property("arg_attrs", new ArrayAttr(List.<Attribute>copyOf(argAttrs)));
        if (resultAttrs != null) b.property("res_attrs", new ArrayAttr(List.<Attribute>copyOf(resultAttrs)));
        Operation func = b.build();
        registry().lookup("func.func").verifier().verify(func);
        finished = func;
        return func;
    }

    public Operation finish(List<? extends Value> results) { return finish(results, location); }

    /** Wraps finished functions in a module ({@code module @name}, or unnamed when name is null). */
    public static Module module(String name, List<Operation> functions) {
        return Module.of(name, null, functions, Location.UNKNOWN);
    }
}
