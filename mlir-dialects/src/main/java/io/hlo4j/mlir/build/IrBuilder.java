package io.hlo4j.mlir.build;

import io.hlo4j.mlir.attr.Attribute;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.types.Type;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the body of one block op by op (a function body or a region of reduce/while/case/...). Each
 * {@link #emit} infers result types through the op's {@link io.hlo4j.mlir.registry.TypeInference} (or takes
 * them explicitly), then runs the op's verifier at once, so a bad op fails where it is emitted with the op's
 * own message and the caller's location. Operands must be visible here: defined in this block or an
 * enclosing one; anything else (a value of another function, of a finished region) is refused by name.
 * Typed helpers for common StableHLO ops live in {@link StablehloBuilder}, which wraps one of these.
 */
public class IrBuilder {
    private final IrBuilder parent;
    private final Block.Builder block = Block.builder();
    private final Set<Value> defined = Collections.newSetFromMap(new IdentityHashMap<>());
    private final OpRegistry registry;
    private boolean sealed;

    IrBuilder(IrBuilder parent, OpRegistry registry) {
        this.parent = parent;
        this.registry = registry;
    }

    /** Starts building {@code func.func @name} with the given argument types. */
    public static FunctionBuilder function(String name, List<? extends Type> argTypes, Location loc) {
        return new FunctionBuilder(name, argTypes, loc, OpRegistry.global());
    }

    /** The enclosing builder (null for a function body). */
    public IrBuilder parent() { return parent; }

    public OpRegistry registry() { return registry; }

    public BlockArgument addArgument(Type type, Location loc) {
        checkOpen();
        BlockArgument a = block.addArgument(type, loc);
        defined.add(a);
        return a;
    }

    public List<BlockArgument> arguments() { return block.arguments(); }
    public BlockArgument argument(int i) { return block.arguments().get(i); }
    /** Operations emitted so far, in order. */
    public List<Operation> operations() { return block.operations(); }

    /** True when {@code v} may be used as an operand here (defined in this block or an enclosing one). */
    public boolean isVisible(Value v) {
        for (IrBuilder b = this; b != null; b = b.parent) if (b.defined.contains(v)) return true;
        return false;
    }

    /** One-result op with inferred result type. */
    public OpResult emit1(String opName, List<? extends Value> operands, Map<String, ? extends Attribute> properties, Location loc) {
        return single(emit(opName, operands, properties, loc), opName, loc);
    }

    /** Emits an op whose result types come from the op's type inference. */
    public List<OpResult> emit(String opName, List<? extends Value> operands, Map<String, ? extends Attribute> properties,
                               Location loc) {
        return emit(opName, operands, properties, List.of(), null, loc);
    }

    /**
     * Emits an op. {@code resultTypes} null means infer them; the op is verified before it joins the block.
     * Regions must already be built (see {@link #region}).
     */
    public List<OpResult> emit(String opName, List<? extends Value> operands, Map<String, ? extends Attribute> properties,
                               List<Region> regions, List<? extends Type> resultTypes, Location loc) {
        Operation.Builder b = Operation.builder(opName).operands(operands).regions(regions).location(loc);
        if (properties != null) for (Map.Entry<String, ? extends Attribute> e : properties.entrySet()) b.property(e.getKey(), e.getValue());
        if (resultTypes != null) b.resultTypes(resultTypes);
        else b.resultTypes(infer(opName, operands, properties, regions, loc));
        // Inferred types from a rule that checks all the verifier does: the verifier would rerun that rule for nothing.
        OpDef def = registry.lookup(opName);
        boolean verified = resultTypes == null && def != null && def.inferenceVerifies();
        return append(b, loc, !verified).results();
    }

    /** Verifies a fully described op and appends it; the general entry point the others use. */
    public Operation append(Operation.Builder b, Location loc) { return append(b, loc, true); }

    private Operation append(Operation.Builder b, Location loc, boolean verify) {
        checkOpen();
        String opName = b.name();
        OpDef def = registry.lookup(opName);
        if (def == null) throw new Hlo4jException("cannot emit unknown op '" + opName + "'", loc);
        List<Value> operands = b.operands();
        for (int i = 0; i < operands.size(); i++) {
            Value v = operands.get(i);
            if (v == null) throw new Hlo4jException("operand #" + i + " of '" + opName + "' is null", loc);
            if (!isVisible(v)) {
                throw new Hlo4jException("operand #" + i + " of '" + opName + "' (" + v.type() + ") is not defined in this "
                        + "function or an enclosing region (a value from another trace or a finished region)", loc);
            }
        }
        Operation op = b.build();
        if (verify) verify(def, op, opName, loc);
        block.append(op);
        defined.addAll(op.results());
        return op;
    }

    private static void verify(OpDef def, Operation op, String opName, Location loc) {
        try {
            def.verifier().verify(op);
        } catch (VerificationException e) {
            throw new VerificationException(opName, stripPrefix(e.getMessage(), opName), loc);
        } catch (RuntimeException e) {
            if (e instanceof Hlo4jException) throw e;
            throw new Hlo4jException("'" + opName + "' op failed to verify: " + e, loc, e);
        }
    }

    private static String stripPrefix(String message, String opName) {
        String p = "'" + opName + "' op ";
        return message != null && message.startsWith(p) ? message.substring(p.length()) : message;
    }

    /** The result types by the op's type inference, whose refusals name the op and carry {@code loc}. */
    List<Type> infer(String opName, List<? extends Value> operands, Map<String, ? extends Attribute> properties,
                     List<Region> regions, Location loc) {
        OpDef def = registry.lookup(opName);
        if (def == null) throw new Hlo4jException("cannot emit unknown op '" + opName + "'", loc);
        if (def.typeInference() == null) {
            throw new Hlo4jException("'" + opName + "' has no type inference: pass its result types explicitly", loc);
        }
        List<Type> ts = new ArrayList<>(operands.size());
        for (Value v : operands) ts.add(v.type());
        try {
            return def.typeInference().inferResultTypes(ts, DictionaryAttr.of(properties == null ? Map.of() : properties), regions);
        } catch (Hlo4jException e) {
            throw new Hlo4jException(e.getMessage(), loc, e);
        } catch (RuntimeException e) {
            // Inference assumes verified input; a malformed op surfaces here first. Report it as the op's error.
            throw new Hlo4jException("'" + opName + "' op cannot infer result types from operands " + ts + " and "
                    + properties + ": " + e, loc, e);
        }
    }

    /**
     * Builds a one-block region with arguments of {@code argTypes}; {@code body} emits ops and returns the values
     * the terminator {@code terminatorOp} (e.g. {@code stablehlo.return}) yields.
     */
    public Region region(List<? extends Type> argTypes, Function<IrBuilder, List<? extends Value>> body,
                         String terminatorOp, Location loc) {
        IrBuilder child = new IrBuilder(this, registry);
        for (Type t : argTypes) child.addArgument(t, loc);
        List<? extends Value> results = body.apply(child);
        child.emit(terminatorOp, results, Map.of(), List.of(), List.of(), loc);
        return Region.of(child.seal());
    }

    /**
     * A child block builder for a region built step by step: add arguments (also after ops, e.g. loop-carried
     * values whose types are known only once the body is traced), emit ops, then {@link #sealRegion}.
     */
    public IrBuilder nested() { return new IrBuilder(this, registry); }

    /** Emits {@code terminatorOp results} and freezes this block into a one-block region. */
    public Region sealRegion(List<? extends Value> results, String terminatorOp, Location loc) {
        emit(terminatorOp, results, Map.of(), List.of(), List.of(), loc);
        return Region.of(seal());
    }

    /** Freezes the block; no more ops may be emitted here. */
    Block seal() {
        checkOpen();
        sealed = true;
        return block.build();
    }

    private void checkOpen() {
        if (sealed) throw new IllegalStateException("this block is already finished; ops can no longer be added to it");
    }

    static OpResult single(List<OpResult> rs, String opName, Location loc) {
        if (rs.size() != 1) throw new Hlo4jException("'" + opName + "' has " + rs.size() + " results, expected 1", loc);
        return rs.get(0);
    }
}
