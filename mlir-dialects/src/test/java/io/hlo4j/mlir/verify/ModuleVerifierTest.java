package io.hlo4j.mlir.verify;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.asm.AsmPrinter;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.registry.OpDef;
import io.hlo4j.mlir.registry.OpRegistry;
import io.hlo4j.mlir.registry.OpSyntax;
import io.hlo4j.mlir.registry.OpTrait;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each structural rule rejects a hand-built violation with a message naming op, rule and location. */
class ModuleVerifierTest {
    static final TensorType F = TensorType.scalar(FloatType.F32);
    static final Location L = new Location.FileLineCol("v.mlir", 7, 3);

    /** "vtest" ops: a terminator, an op whose verifier wants a 'good' attribute, a region op, an isolated op. */
    @BeforeAll static void registerTestOps() {
        OpRegistry r = OpRegistry.global();
        if (r.lookup("vtest.ret") != null) return;
        r.register(OpDef.builder("vtest.ret").syntax(OpSyntax.GENERIC).verifier(op -> {}).traits(OpTrait.TERMINATOR).build());
        r.register(OpDef.builder("vtest.op").syntax(OpSyntax.GENERIC).verifier(op -> {
            if (!op.hasAttr("good")) throw new VerificationException(op.name(), "requires attribute 'good'", op.location());
        }).build());
        r.register(OpDef.builder("vtest.region").syntax(OpSyntax.GENERIC).verifier(op -> {}).build());
        r.register(OpDef.builder("vtest.iso").syntax(OpSyntax.GENERIC).verifier(op -> {})
                .traits(OpTrait.ISOLATED_FROM_ABOVE).build());
        r.register(OpDef.builder("vtest.crash").syntax(OpSyntax.GENERIC).verifier(op -> {
            throw new IllegalStateException("boom");
        }).build());
    }

    static Operation good(List<? extends Value> operands, int results) {
        Operation.Builder b = Operation.builder("vtest.op").operands(operands).attribute("good", UnitAttr.INSTANCE).location(L);
        for (int i = 0; i < results; i++) b.resultType(F);
        return b.build();
    }

    static Operation ret(Value... vs) { return Operation.builder("vtest.ret").operands(vs).location(L).build(); }

    static Region region(int args, Function<List<BlockArgument>, List<Operation>> body) {
        Block.Builder b = Block.builder();
        for (int i = 0; i < args; i++) b.addArgument(F);
        body.apply(b.arguments()).forEach(b::append);
        return Region.of(b.build());
    }

    static Operation regionOp(String name, List<Value> operands, Region r) {
        return Operation.builder(name).operands(operands).resultType(F).region(r).location(L).build();
    }

    static Module module(Operation... ops) { return Module.of("m", null, List.of(ops), Location.UNKNOWN); }

    @Test void acceptsNestedCaptureAndUnknownDialects() {
        Operation iso = regionOp("vtest.iso", List.of(), region(1, args -> {
            Operation a = good(args, 1);
            Operation inner = regionOp("vtest.region", List.of(a.result()), region(0, x -> {
                Operation c = good(List.of(a.result(), args.get(0)), 1); // captures from enclosing regions
                Operation unknown = Operation.builder("mystery.op").operand(c.result()).resultType(F).build();
                return List.of(c, unknown, ret(unknown.result()));
            }));
            return List.of(a, inner, ret(inner.result()));
        }));
        assertThatCode(() -> ModuleVerifier.verify(module(iso))).doesNotThrowAnyException();
    }

    @Test void rejectsUseBeforeDefinition() {
        List<Operation> later = new ArrayList<>();
        Operation iso = regionOp("vtest.iso", List.of(), region(0, args -> {
            Operation a = good(List.of(), 1);
            Operation b = good(List.of(a.result()), 1);
            later.add(a);
            return List.of(b, a, ret());
        }));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(iso)))
                .isInstanceOf(VerificationException.class)
                .hasMessageContaining("'vtest.op' op operand #0 (result #0 of 'vtest.op' at v.mlir:7:3) does not dominate this use")
                .satisfies(e -> assertThat(((VerificationException) e).location()).isEqualTo(L));
    }

    @Test void rejectsUseOfOwnResultInsideOwnRegion() {
        Operation[] holder = new Operation[1];
        // Build an op whose region uses a value of a sibling defined after it: the closest legal-looking mistake.
        Operation iso = regionOp("vtest.iso", List.of(), region(0, args -> {
            Operation later = good(List.of(), 1);
            Operation r = regionOp("vtest.region", List.of(), region(0, x -> List.of(good(List.of(later.result()), 0), ret())));
            holder[0] = r;
            return List.of(r, later, ret());
        }));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(iso))).hasMessageContaining("does not dominate this use");
    }

    @Test void rejectsCaptureAcrossIsolatedFromAbove() {
        Operation outer = regionOp("vtest.iso", List.of(), region(1, args -> {
            Operation inner = regionOp("vtest.iso", List.of(), region(0, x -> List.of(good(args, 0), ret())));
            return List.of(inner, ret());
        }));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(outer)))
                .hasMessageContaining("'vtest.op' op operand #0 (argument #0 of a block in 'vtest.iso') is defined outside the isolated-from-above op")
                .hasMessageContaining("regions of 'vtest.iso' cannot capture values");
    }

    @Test void requiresTerminatorsWhereTheOpIsRegistered() {
        Operation noTerm = regionOp("vtest.iso", List.of(), region(0, args -> List.of(good(List.of(), 1))));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(noTerm)))
                .hasMessageContaining("'vtest.iso' op block #0 of region #0 ends in 'vtest.op', which is not a terminator");
        Operation empty = regionOp("vtest.iso", List.of(), region(0, args -> List.of()));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(empty)))
                .hasMessageContaining("block #0 of region #0 is empty; it must end in a terminator");
        Operation early = regionOp("vtest.iso", List.of(), region(0, args -> List.of(ret(), good(List.of(), 0))));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(early)))
                .hasMessageContaining("'vtest.ret' op is a terminator but is followed by 'vtest.op'");
        // An unregistered op's regions may end anyhow.
        Operation unknown = regionOp("mystery.op", List.of(), region(0, args -> List.of(good(List.of(), 1))));
        assertThatCode(() -> ModuleVerifier.verify(module(unknown))).doesNotThrowAnyException();
    }

    @Test void rejectsDuplicateSymbols() {
        Operation a = Operation.builder("mystery.sym").property("sym_name", new StringAttr("f")).build();
        Operation b = Operation.builder("mystery.sym").property("sym_name", new StringAttr("f")).location(L).build();
        assertThatThrownBy(() -> ModuleVerifier.verify(module(a, b)))
                .hasMessageContaining("'mystery.sym' op redefines symbol @f");
    }

    static Operation func(String name, List<Type> in, List<Type> out) {
        return Operation.builder("func.func").property("sym_name", new StringAttr(name))
                .property("function_type", new TypeAttr(new FunctionType(in, out))).region(Region.empty()).build();
    }

    static Operation caller(String callee, List<Type> resultTypes) {
        return regionOp("vtest.iso", List.of(), region(1, args -> {
            Operation call = Operation.builder("func.call").operands(args).resultTypes(resultTypes)
                    .property("callee", SymbolRefAttr.of(callee)).location(L).build();
            return List.of(call, ret());
        }));
    }

    @Test void checksCallTargetsAndSignatures() {
        assertThatThrownBy(() -> ModuleVerifier.verify(module(caller("nope", List.of(F)))))
                .hasMessageContaining("'func.call' op 'callee' refers to @nope, which is not defined in the module");
        Operation f = func("f", List.of(F), List.of(F));
        TensorType i32 = TensorType.scalar(IntegerType.I32);
        assertThatThrownBy(() -> ModuleVerifier.verify(module(f, caller("f", List.of(i32)))))
                .hasMessageContaining("'func.call' op result #0 has type tensor<i32> but @f returns tensor<f32>");
        Operation g = func("g", List.of(i32), List.of(F));
        assertThatThrownBy(() -> ModuleVerifier.verify(module(g, caller("g", List.of(F)))))
                .hasMessageContaining("operand #0 has type tensor<f32> but @g expects tensor<i32>");
        Operation notFunc = Operation.builder("mystery.sym").property("sym_name", new StringAttr("h")).build();
        assertThatThrownBy(() -> ModuleVerifier.verify(module(notFunc, caller("h", List.of(F)))))
                .hasMessageContaining("'callee' @h is a mystery.sym, not a func.func");
    }

    @Test void runsOpVerifiersAndRejectsUnknownOpsOfKnownDialects() {
        Operation bad = Operation.builder("vtest.op").location(L).build();
        assertThatThrownBy(() -> ModuleVerifier.verify(module(bad)))
                .isInstanceOf(VerificationException.class).hasMessage("'vtest.op' op requires attribute 'good'");
        Operation crash = Operation.builder("vtest.crash").location(L).build();
        assertThatThrownBy(() -> ModuleVerifier.verify(module(crash)))
                .hasMessageContaining("'vtest.crash' op verifier failed with java.lang.IllegalStateException: boom");
        Operation unknown = Operation.builder("stablehlo.no_such_op").location(L).build();
        assertThatThrownBy(() -> ModuleVerifier.verify(module(unknown)))
                .hasMessageContaining("'stablehlo.no_such_op' op is not an op of the 'stablehlo' dialect");
    }
}
