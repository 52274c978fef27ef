package io.hlo4j.mlir.parse;

import io.hlo4j.mlir.attr.IntegerAttr;
import io.hlo4j.mlir.attr.StringAttr;
import io.hlo4j.mlir.attr.SymbolRefAttr;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.hlo4j.mlir.parse.Parse.module;
import static org.assertj.core.api.Assertions.assertThat;

/** Modules, split input, SSA names and result groups, regions and blocks, locations, default dialects. */
class StructureParseTest {
    @Test
    void explicitModuleWithNameAndAttributes() {
        Module m = module("module @jit_f attributes {mhlo.num_partitions = 2 : i32} {\n"
                + "  func.func @main() {\n    return\n  }\n}\n");
        assertThat(m.name()).isEqualTo("jit_f");
        assertThat(m.op().properties().get("sym_name")).isEqualTo(new StringAttr("jit_f"));
        assertThat(m.attributes().get("mhlo.num_partitions")).isEqualTo(new IntegerAttr(2, IntegerType.I32));
        assertThat(m.functions()).hasSize(1);
        assertThat(module("module {}").operations()).isEmpty();
    }

    @Test
    void bareTopLevelOpsGetAnImplicitModule() {
        Module m = module("func.func @a() {\n  func.return\n}\nfunc.func @b() {\n  return\n}\n");
        assertThat(m.name()).isNull();
        assertThat(m.functions()).extracting(f -> ((StringAttr) f.attr("sym_name")).value()).containsExactly("a", "b");
        Module two = module("module @x {}\nmodule @y {}");
        assertThat(two.operations()).extracting(Operation::name).containsExactly("builtin.module", "builtin.module");
    }

    @Test
    void splitInputGivesOneModulePerChunkWithFileLineNumbers() {
        String text = "func.func @a() {\n  return\n}\n\n// -----\n\nfunc.func @b() {\n  return\n}\n// -----\nfunc.func @c() {\n  return %nope : tensor<f32>\n}\n";
        List<Module> ms = MlirParser.parseSplit(text.substring(0, text.lastIndexOf("// -----")), "t.mlir");
        assertThat(ms).hasSize(2);
        assertThat(ms.get(1).functions().get(0).location()).isEqualTo(new Location.FileLineCol("t.mlir", 7, 1));
        // The error in the third chunk is reported at its line in the whole file.
        assertThat(Parse.error(text)).startsWith("t.mlir:12:10: use of undefined value %nope");
    }

    @Test
    void resultGroupsNamesAndUses() {
        Operation f = module("func.func @f(%arg0: tensor<f32>) -> (tensor<f32>, tensor<i32>, tensor<i32>) {\n"
                + "  %0:2 = \"t.two\"(%arg0) : (tensor<f32>) -> (tensor<f32>, tensor<i32>)\n"
                + "  %v, %w:2 = \"t.three\"(%0#0, %0#1) : (tensor<f32>, tensor<i32>) -> (tensor<i32>, tensor<f32>, tensor<i32>)\n"
                + "  return %0#0, %v, %w#1 : tensor<f32>, tensor<i32>, tensor<i32>\n}\n").functions().get(0);
        List<Operation> body = f.region(0).entry().operations();
        Operation two = body.get(0);
        Operation three = body.get(1);
        assertThat(two.operand(0)).isInstanceOf(BlockArgument.class);
        assertThat(three.operands()).containsExactly(two.result(0), two.result(1));
        assertThat(body.get(2).operands()).containsExactly(two.result(0), three.result(0), three.result(2));
        assertThat(((OpResult) body.get(2).operand(2)).index()).isEqualTo(2);
    }

    @Test
    void regionsSeeEnclosingValuesAndDeclareBlockArguments() {
        Operation f = module("func.func @f(%x: tensor<f32>) -> tensor<f32> {\n"
                + "  %r = \"t.region\"(%x) ({\n  ^bb0(%a: tensor<f32>, %b: tensor<f32>):\n"
                + "    %s = \"t.add\"(%a, %x) : (tensor<f32>, tensor<f32>) -> tensor<f32>\n"
                + "    \"t.yield\"(%s) : (tensor<f32>) -> ()\n  }, {\n    \"t.yield\"(%x) : (tensor<f32>) -> ()\n"
                + "  }) {flag} : (tensor<f32>) -> tensor<f32>\n  return %r : tensor<f32>\n}\n").functions().get(0);
        BlockArgument x = f.region(0).entry().argument(0);
        Operation r = f.region(0).entry().operations().get(0);
        assertThat(r.regions()).hasSize(2);
        var inner = r.region(0).entry();
        assertThat(inner.label()).isEqualTo("bb0");
        assertThat(inner.arguments()).extracting(BlockArgument::type).containsOnly(TensorType.scalar(FloatType.F32));
        assertThat(inner.operations().get(0).operands()).containsExactly(inner.argument(0), x);
        assertThat(r.region(1).entry().operations().get(0).operand(0)).isSameAs(x);
        assertThat(r.attributes().contains("flag")).isTrue();
        // The names of a region are gone once it closes.
        Parse.fails("func.func @f(%x: tensor<f32>) {\n  \"t.r\"() ({\n    %in = \"t.c\"() : () -> tensor<f32>\n"
                + "    \"t.y\"() : () -> ()\n  }) : () -> ()\n  \"t.use\"(%in) : (tensor<f32>) -> ()\n  return\n}", "use of undefined value %in");
    }

    @Test
    void registeredGenericOpsMoveInherentAttributesToProperties() {
        Operation call = module("func.func @g(%a: tensor<f32>) -> tensor<f32> {\n"
                + "  %0 = \"func.call\"(%a) {callee = @g, other = 1 : i32} : (tensor<f32>) -> tensor<f32>\n"
                + "  \"func.return\"(%0) : (tensor<f32>) -> ()\n}\n").functions().get(0).region(0).entry().operations().get(0);
        assertThat(call.properties().get("callee")).isEqualTo(SymbolRefAttr.of("g"));
        assertThat(call.attributes().asMap().keySet()).containsExactly("other");
        Operation unreg = Parse.firstOp("\"my.op\"() <{p = 1 : i32}> {callee = @g} : () -> ()");
        assertThat(unreg.properties().asMap().keySet()).containsExactly("p");
        assertThat(unreg.attributes().asMap().keySet()).containsExactly("callee");
    }

    @Test
    void funcDialectOpsParseWithAndWithoutPrefix() {
        Module m = module("func.func @id(%a: tensor<f32>) -> tensor<f32> {\n  func.return %a : tensor<f32>\n}\n"
                + "func.func @main(%a: tensor<f32>) -> tensor<f32> {\n  %0 = call @id(%a) : (tensor<f32>) -> tensor<f32>\n"
                + "  %1 = func.call @id(%0) : (tensor<f32>) -> tensor<f32>\n  return %1 : tensor<f32>\n}\n");
        List<Operation> ops = m.functions().get(1).region(0).entry().operations();
        assertThat(ops).extracting(Operation::name).containsExactly("func.call", "func.call", "func.return");
        Parse.fails("return", "custom op 'return' is unknown");
    }

    @Test
    void locationsOnOpsArgumentsAndForwardAliases() {
        Module m = module("module {\n  func.func @f(%a: tensor<f32> loc(\"in.py\":1:2)) -> tensor<f32> {\n"
                + "    %0 = \"t.op\"(%a) : (tensor<f32>) -> tensor<f32> loc(#loc3)\n"
                + "    \"t.op2\"() : () -> () loc(callsite(\"g\"(\"a.py\":4:5 to :9) at fused<\"cse\">[#loc1, unknown]))\n"
                + "    return %0 : tensor<f32> loc(#loc1)\n  } loc(#loc1)\n} loc(unknown)\n"
                + "#loc1 = loc(\"f.py\":10:3)\n#loc3 = loc(\"name\"(#loc1))\n");
        Location loc1 = new Location.FileLineCol("f.py", 10, 3);
        Operation f = m.functions().get(0);
        assertThat(f.location()).isEqualTo(loc1);
        assertThat(m.op().location()).isEqualTo(Location.UNKNOWN);
        assertThat(f.region(0).entry().argument(0).location()).isEqualTo(new Location.FileLineCol("in.py", 1, 2));
        List<Operation> ops = f.region(0).entry().operations();
        assertThat(ops.get(0).location()).isEqualTo(new Location.Named("name", loc1));
        assertThat(ops.get(1).location()).isEqualTo(new Location.CallSite(
                new Location.Named("g", new Location.FileLineCol("a.py", 4, 5, 0, 9)),
                new Location.Fused(List.of(loc1, Location.UNKNOWN), new StringAttr("cse"))));
        // Without loc(...), an op is located where it was written.
        Operation plain = Parse.firstOp("\n  \"t.op\"() : () -> ()");
        assertThat(plain.location()).isEqualTo(new Location.FileLineCol("t.mlir", 2, 3));
    }

    @Test
    void byteOrderMarkCrLfAndCharactersOutsideTheBmp() {
        Module m = module("\uFEFFfunc.func @f() {\r\n  return\r\n}\r\n");
        assertThat(m.functions()).hasSize(1);
        // A surrogate pair before a string disables the lexer's string fast path; the result must not change.
        Operation op = Parse.firstOp("\"t.op\"() {a = \"\uD83D\uDE00 x\", b = \"0x0102\"} : () -> ()\n\"t.op\"() : () -> () loc(\"\uD83D\uDE00\":1:2)");
        assertThat(op.attributes().get("a")).isEqualTo(new StringAttr("\uD83D\uDE00 x"));
        assertThat(op.attributes().get("b")).isEqualTo(new StringAttr("0x0102"));
        // Columns count code points, as the char stream does (the emoji is one column).
        assertThat(Parse.error("\"t.op\"() {a = \"\uD83D\uDE00\"} ^")).isEqualTo("t.mlir:1:20: expected ':' (found '^')");
    }
}
