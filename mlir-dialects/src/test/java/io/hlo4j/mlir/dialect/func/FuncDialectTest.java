package io.hlo4j.mlir.dialect.func;

import io.hlo4j.mlir.attr.ArrayAttr;
import io.hlo4j.mlir.attr.DictionaryAttr;
import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.attr.UnitAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;
import io.hlo4j.mlir.ir.Walker;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** func.func / func.call / func.return: properties as MLIR stores them, verifiers, canonical text. */
class FuncDialectTest {
    private static final TensorType F2 = TensorType.of(FloatType.F32, 2);
    private static final TensorType SF = TensorType.scalar(FloatType.F32);

    private static Module parse(String text) { return MlirParser.parseModule(text, "f.mlir"); }

    private static void verifyAll(Module m) {
        Walker.walk(m.op(), op -> {
            if (op.def() != null) op.def().verifier().verify(op);
            if (op.name().equals(FuncOps.CALL)) FuncOps.verifyCall(op, m.symbols());
        });
    }

    @Test
    void functionPropertiesAsMlirStoresThem() {
        Module m = parse("func.func public @main(%arg0: tensor<2xf32> {jax.arg = 1 : i32}, %arg1: tensor<f32>)"
                + " -> (tensor<2xf32> {jax.result_info = \"r\"}) attributes {foo, sym_visibility = \"public\"} {\n"
                + "  return %arg0 : tensor<2xf32>\n}\n"
                + "func.func private @ext(tensor<f32> {a.b = 2 : i64}, i32) -> tensor<f32>\n");
        Operation main = m.functions().get(0);
        assertThat(main.properties().get("sym_name")).isEqualTo(new StringAttr("main"));
        assertThat(main.properties().get("sym_visibility")).isEqualTo(new StringAttr("public"));
        assertThat(main.properties().get("function_type")).isEqualTo(new TypeAttr(new FunctionType(List.of(F2, SF), List.of(F2))));
        assertThat(main.properties().get("arg_attrs")).isEqualTo(ArrayAttr.of(
                DictionaryAttr.EMPTY.with("jax.arg", new IntegerAttr(1, IntegerType.I32)), DictionaryAttr.EMPTY));
        assertThat(main.properties().get("res_attrs")).isEqualTo(ArrayAttr.of(DictionaryAttr.EMPTY.with("jax.result_info", new StringAttr("r"))));
        assertThat(main.attributes().asMap()).containsOnlyKeys("foo").containsEntry("foo", UnitAttr.INSTANCE);
        assertThat(main.region(0).entry().arguments()).hasSize(2);

        Operation ext = m.functions().get(1);
        assertThat(ext.region(0).isEmpty()).isTrue();
        assertThat(FuncOps.signature(ext)).isEqualTo(new FunctionType(List.of(SF, IntegerType.I32), List.of(SF)));
        assertThat(FuncOps.argAttrs(ext, 0)).isEqualTo(DictionaryAttr.EMPTY.with("a.b", IntegerAttr.i64(2)));
        assertThat(ext.hasAttr("res_attrs")).isFalse();
        verifyAll(m);
    }

    @Test
    void printsCanonicalText() {
        String text = """
                module {
                  func.func private @ext(tensor<f32>) -> tensor<f32>
                  func.func @id(%arg0: tensor<2xf32>) -> tensor<2xf32> {
                    return %arg0 : tensor<2xf32>
                  }
                  func.func public @main(%arg0: tensor<2xf32> {jax.arg = 1 : i32}) -> (tensor<2xf32> {jax.result_info = ""}, tensor<2xf32>) attributes {foo} {
                    %0 = call @id(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
                    return %0, %arg0 : tensor<2xf32>, tensor<2xf32>
                  }
                }
                """;
        assertThat(MlirPrinter.print(parse(text))).isEqualTo(text);
    }

    @Test
    void returnMustMatchTheSignature() {
        Module m = parse("func.func @f(%a: tensor<f32>) -> tensor<i32> {\n  return %a : tensor<f32>\n}\n");
        assertThatThrownBy(() -> verifyAll(m)).isInstanceOf(VerificationException.class)
                .hasMessage("'func.return' op type of return operand #0 (tensor<f32>) doesn't match function @f result type (tensor<i32>)");
        Module count = parse("func.func @f(%a: tensor<f32>) -> (tensor<f32>, tensor<f32>) {\n  return %a : tensor<f32>\n}\n");
        assertThatThrownBy(() -> verifyAll(count)).hasMessageContaining("has 1 operands, but enclosing function @f returns 2");
    }

    @Test
    void entryBlockMustMatchTheFunctionType() {
        Module m = parse("\"func.func\"() <{function_type = (tensor<f32>) -> (), sym_name = \"g\"}> ({\n"
                + "^bb0(%x: tensor<i32>):\n  \"func.return\"() : () -> ()\n}) : () -> ()\n");
        assertThatThrownBy(() -> verifyAll(m)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("type of entry block argument #0 (tensor<i32>) of @g must match the type of the function input (tensor<f32>)");
        Module noReturn = parse("func.func @h() {\n  \"t.op\"() : () -> ()\n}\n");
        assertThatThrownBy(() -> verifyAll(noReturn)).hasMessageContaining("must end with func.return, not t.op");
        Module publicDecl = parse("func.func @d(tensor<f32>)\n");
        assertThatThrownBy(() -> verifyAll(publicDecl)).hasMessageContaining("external function @d (no body) must be private");
    }

    @Test
    void callsAreCheckedAgainstTheCallee() {
        String callee = "func.func private @g(tensor<i32>) -> tensor<i32>\n";
        Module wrongArg = parse(callee + "func.func @f(%a: tensor<f32>) {\n  %0 = call @g(%a) : (tensor<f32>) -> tensor<i32>\n  return\n}\n");
        assertThatThrownBy(() -> verifyAll(wrongArg)).isInstanceOf(VerificationException.class)
                .hasMessage("'func.call' op operand #0 has type tensor<f32> but @g expects tensor<i32>");
        Module wrongResult = parse(callee + "func.func @f(%a: tensor<i32>) {\n  %0 = call @g(%a) : (tensor<i32>) -> tensor<f32>\n  return\n}\n");
        assertThatThrownBy(() -> verifyAll(wrongResult)).hasMessageContaining("result #0 has type tensor<f32> but @g returns tensor<i32>");
        Module missing = parse("func.func @f() {\n  call @nowhere() : () -> ()\n  return\n}\n");
        assertThatThrownBy(() -> verifyAll(missing)).hasMessageContaining("'callee' refers to @nowhere, which is not defined in the module");
        verifyAll(parse(callee + "func.func @f(%a: tensor<i32>) -> tensor<i32> {\n  %0 = func.call @g(%a) : (tensor<i32>) -> tensor<i32>\n  func.return %0 : tensor<i32>\n}\n"));
    }

    @Test
    void argumentLocationsFollowTheirAttributes() {
        String text = "func.func @f(%arg0: tensor<f32> {a.b} loc(\"x.py\":1:2), %arg1: tensor<f32> loc(\"y.py\":3:4)) {\n"
                + "  return loc(\"z.py\":5:6)\n} loc(\"w.py\":7:8)\n";
        String printed = MlirPrinter.print(parse(text), io.hlo4j.mlir.print.PrintOptions.DEFAULT.withLocations(true));
        assertThat(printed).contains("func.func @f(%arg0: tensor<f32> {a.b} loc(\"x.py\":1:2), %arg1: tensor<f32> loc(\"y.py\":3:4))");
        Operation f = parse(printed).functions().get(0);
        assertThat(f.region(0).entry().argument(0).location()).isEqualTo(new io.hlo4j.mlir.ir.Location.FileLineCol("x.py", 1, 2));
        assertThat(f.location()).isEqualTo(new io.hlo4j.mlir.ir.Location.FileLineCol("w.py", 7, 8));
    }
}
