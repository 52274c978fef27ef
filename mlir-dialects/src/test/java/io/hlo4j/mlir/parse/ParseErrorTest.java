package io.hlo4j.mlir.parse;

import org.junit.jupiter.api.Test;

import static io.hlo4j.mlir.parse.Parse.error;
import static io.hlo4j.mlir.parse.Parse.fails;
import static org.assertj.core.api.Assertions.assertThat;

/** Errors are ParseExceptions at file:line:col that name the offending token or value. */
class ParseErrorTest {
    private static final String F = "func.func @f(%a: tensor<f32>) -> tensor<f32> {\n";

    @Test
    void valuesUndefinedRedefinedOrMistyped() {
        assertThat(error(F + "  return %x : tensor<f32>\n}")).isEqualTo("t.mlir:2:10: use of undefined value %x");
        assertThat(error(F + "  %a = \"t.c\"() : () -> tensor<f32>\n  return %a : tensor<f32>\n}"))
                .isEqualTo("t.mlir:2:3: redefinition of SSA value %a");
        assertThat(error(F + "  return %a : tensor<i32>\n}"))
                .isEqualTo("t.mlir:2:10: %a has type tensor<f32> but is used here as tensor<i32>");
        assertThat(error(F + "  %0:2 = \"t.c\"() : () -> tensor<f32>\n  return %0 : tensor<f32>\n}"))
                .isEqualTo("t.mlir:2:3: operation 't.c' defines 1 results but 2 were named");
        assertThat(error(F + "  %0:2 = \"t.c\"() : () -> (tensor<f32>, tensor<f32>)\n  return %0#2 : tensor<f32>\n}"))
                .startsWith("t.mlir:3:10: result number 2 of %0 is out of range");
    }

    @Test
    void syntaxErrorsNameTheToken() {
        assertThat(error("\"t.op\"() : () -> (tensor<4xf32)")).isEqualTo("t.mlir:1:31: expected function type (found ')')");
        assertThat(error("\"t.op\"() {a = tensor<4xf32} : () -> ()")).isEqualTo("t.mlir:1:27: expected attribute dictionary (expected '>') (found '}')");
        assertThat(error("\"t.op\"() {a = } : () -> ()")).isEqualTo("t.mlir:1:15: expected attribute dictionary (found '}')");
        assertThat(error("\"t.op\"(%a : () -> ()")).contains("expected ')'").contains("(found ':')");
        assertThat(error(F + "  return %a : tensor<f32>\n")).contains("expected '}' to close the region opened at 1:46 (found end of input)");
        assertThat(error("  ^^^")).isEqualTo("t.mlir:1:3: expected operation name (found '^')");
        assertThat(error("stablehlo.add2 %a")).isEqualTo("t.mlir:1:1: custom op 'stablehlo.add2' is unknown (not registered; unregistered ops must be written in generic form \"stablehlo.add2\"(...))");
        assertThat(error("\"t.op\"() : () -> () loc(\"f\":1)")).startsWith("t.mlir:1:");
    }

    @Test
    void controlCharactersAreRefusedWhereTheyAre() {
        // a NUL inside a name used to end it silently: "custom op 'stablehlo.a' is unknown"
        assertThat(error(F + "  %0 = stablehlo.a\u0000d %a, %a : tensor<f32>\n  return %0 : tensor<f32>\n}"))
                .isEqualTo("t.mlir:2:19: control character \\x00 in the text (a binary or damaged file?)");
        assertThat(error(F + "  return \u0007%a : tensor<f32>\n}")).isEqualTo("t.mlir:2:10: control character \\x07 in the text (a binary or damaged file?)");
        // inside comments and string literals MLIR takes them; a quote inside a string does not end it early
        assertThat(MlirParser.parseModule("// a bell \u0007 in a comment\n" + F + "  return %a : tensor<f32>\n}", "t.mlir")).isNotNull();
        assertThat(MlirParser.parseModule("\"t.op\"() {s = \"x\\\"\u0001y\"} : () -> ()", "t.mlir")).isNotNull();
        assertThat(error("\"t.op\"() {s = \"x\\\"y\"} : () -> ()\n\"t.op\"() {s = \u0001} : () -> ()"))
                .isEqualTo("t.mlir:2:15: control character \\x01 in the text (a binary or damaged file?)");
        // tab and CR are whitespace
        assertThat(MlirParser.parseModule(F.replace(" ", "\t") + "  return %a : tensor<f32>\r\n}\r\n", "t.mlir")).isNotNull();
        // the lexer's rule, so every entry point refuses them: a later chunk of a split file (at its own line), a type,
        // DEL, and a form feed; a leading byte-order mark does not shift the column
        String chunk = F + "  return %a : tensor<f32>\n}\n// -----\n" + F + "  return %a\u0008 : tensor<f32>\n}";
        assertThat(error(chunk)).isEqualTo("t.mlir:6:12: control character \\x08 in the text (a binary or damaged file?)");
        assertThat(org.assertj.core.api.Assertions.catchThrowableOfType(io.hlo4j.mlir.ir.ParseException.class,
                () -> MlirParser.parseType("tensor<2x\u007Ff32>")).format()).isEqualTo("<type>:1:10: control character \\x7F in the text (a binary or damaged file?)");
        assertThat(error("\uFEFF\"t.op\"() {s = \u000C} : () -> ()")).isEqualTo("t.mlir:1:15: control character \\x0C in the text (a binary or damaged file?)");
    }

    @Test
    void controlCharactersInTheFoundTokenAreEscaped() {
        assertThat(TokenCursor.visible("a\u0000b\u007F\tc")).isEqualTo("a\\x00b\\x7F\\x09c");
    }

    @Test
    void unsupportedInputsAreRefusedByName() {
        fails("\"t.op\"() {a = dense_resource<blob1> : tensor<4xf32>} : () -> ()", "dense_resource is not supported");
        fails("module {}\n{-#\n  dialect_resources: { builtin: { blob1: \"0x04000000\" } }\n#-}", "dense_resource is not supported");
        fails("\"t.op\"() {a = dense_resource<__elided__> : tensor<4xf32>} : () -> ()", "dense_resource is not supported");
        fails("\"t.op\"() {a = __elided__} : () -> ()", "__elided__");
        fails("\"t.op\"()[^bb1] : () -> ()", "successor blocks are not supported");
    }

    @Test
    void hostileNestingEndsInAParseException() {
        String deep = "\"t.op\"() {a = " + "[".repeat(200_000) + "} : () -> ()";
        assertThat(error(deep)).contains("nesting is deeper than");
        String regions = "\"t.op\"() (" + "{\"t.op\"() (".repeat(50_000) + " : () -> ()";
        assertThat(error(regions)).contains("nesting is deeper than");
        assertThat(error("\"t.op\"() : () -> (tensor<" + "tensor<".repeat(100_000) + ">)")).contains("nesting is deeper than");
    }

    /** A chain of function types recurses once per arrow with no bracket left open: each arrow counts one level. */
    @Test
    void aChainOfFunctionTypesCountsOneLevelPerArrow() {
        String far = "\"t.op\"() {a = " + "() -> ".repeat(200_000) + "i32} : () -> ()";
        assertThat(error(far)).contains("nesting is deeper than 160 levels of brackets (each -> of a chain of function types counts one)");
        String over = "\"t.op\"() {a = " + "() -> ".repeat(160) + "i32} : () -> ()"; // inside {}: 161 levels at the last arrow
        assertThat(error(over)).contains("nesting is deeper than 160 levels");
        assertThat(MlirParser.parseModule("\"t.op\"() {a = " + "() -> ".repeat(100) + "i32} : () -> ()", "t.mlir")).isNotNull();
        // op signatures one after another are no chain
        assertThat(MlirParser.parseModule("\"t.op\"() : () -> ()\n".repeat(500), "t.mlir")).isNotNull();
    }
}
