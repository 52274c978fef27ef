package io.hlo4j.compiler.diff;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The diff ignores names, numbering, spacing and locations, and finds a changed constant or op. */
class StructuralDiffTest {
    static final String A = """
            module {
              func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                %c = stablehlo.constant dense<1.000000e+00> : tensor<4xf32>
                %0 = stablehlo.add %x, %c : tensor<4xf32>
                %1 = stablehlo.multiply %0, %0 : tensor<4xf32>
                return %1 : tensor<4xf32>
              }
            }""";

    static List<Module> parse(String s) { return List.of(MlirParser.parseModule(s, "t.mlir")); }

    @Test void aModuleEqualsItself() {
        assertThat(StructuralDiff.diff(parse(A), parse(A), 3).equal()).isTrue();
    }

    @Test void namesSpacingAndLocationsDoNotMatter() {
        String renamed = """
                module {
                  func.func @main(%input: tensor<4xf32>) -> tensor<4xf32> {
                    %one = stablehlo.constant   dense<1.0> : tensor<4xf32> loc("a.py":3:1)
                    %sum = "stablehlo.add"(%input, %one) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32> loc("a.py":4:1)
                    %sq = stablehlo.multiply %sum, %sum : tensor<4xf32>
                    func.return %sq : tensor<4xf32>
                  }
                }""";
        StructuralDiff.Result r = StructuralDiff.diff(parse(A), parse(renamed), 3);
        assertThat(r.equal()).as(r.format("a", "b", 5)).isTrue();
    }

    @Test void aChangedConstantIsFoundInContext() {
        StructuralDiff.Result r = StructuralDiff.diff(parse(A), parse(A.replace("1.000000e+00", "2.000000e+00")), 1);
        assertThat(r.equal()).isFalse();
        assertThat(r.hunks()).hasSize(1);
        String text = r.format("a.mlir", "b.mlir", 3);
        assertThat(text).contains("--- a.mlir", "+++ b.mlir", "@@ -2,3 +2,3 @@ func.func @main",
                "-    %cst = stablehlo.constant dense<1.000000e+00> : tensor<4xf32>",
                "+    %cst = stablehlo.constant dense<2.000000e+00> : tensor<4xf32>",
                "     %0 = stablehlo.add %arg0, %cst : tensor<4xf32>");
    }

    @Test void hunkHeaderNamesTheFunctionOfTheFirstChangeNotOfItsContext() {
        String two = """
                module {
                  func.func private @f(%x: tensor<4xf32>) -> tensor<4xf32> {
                    return %x : tensor<4xf32>
                  }
                  func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
                    %0 = stablehlo.negate %x : tensor<4xf32>
                    return %0 : tensor<4xf32>
                  }
                }""";
        StructuralDiff.Result r = StructuralDiff.diff(parse(two), parse(two.replace("negate", "abs")), 3);
        assertThat(r.hunks()).hasSize(1);
        assertThat(r.hunks().get(0).function()).isEqualTo("func.func @main");
        assertThat(r.hunks().get(0).startA()).isEqualTo(2); // context reaches back into @f
    }

    @Test void aSwappedOperandIsADifference() {
        StructuralDiff.Result r = StructuralDiff.diff(parse(A), parse(A.replace("%x, %c", "%c, %x")), 3);
        assertThat(r.equal()).isFalse();
        assertThat(r.format("a", "b", 3)).contains("-    %0 = stablehlo.add %arg0, %cst", "+    %0 = stablehlo.add %cst, %arg0");
    }

    @Test void lineDiffIsMinimal() {
        StructuralDiff.Result r = StructuralDiff.diffLines(List.of("a", "b", "c", "d"), List.of("a", "x", "c", "d", "e"), 0);
        assertThat(r.hunks()).hasSize(2);
        assertThat(r.hunks().get(0).lines()).extracting(StructuralDiff.Line::kind).containsExactly('-', '+');
        assertThat(r.hunks().get(1).lines()).extracting(StructuralDiff.Line::text).containsExactly("e");
    }

    @Test void conformanceFileEqualsItselfAndNotItsNeighbour() throws IOException {
        Path dir = conformance().resolve("testdata");
        List<Module> abs = MlirParser.parseFile(dir.resolve("abs_float32_20_20.mlir"));
        assertThat(StructuralDiff.diff(abs, MlirParser.parseFile(dir.resolve("abs_float32_20_20.mlir")), 3).equal()).isTrue();
        Path other;
        try (var s = Files.list(dir)) {
            other = s.filter(p -> p.getFileName().toString().startsWith("abs_") && !p.getFileName().toString().equals("abs_float32_20_20.mlir"))
                    .sorted().findFirst().orElseThrow();
        }
        assertThat(StructuralDiff.diff(abs, MlirParser.parseFile(other), 3).equal()).isFalse();
    }

    static Path conformance() {
        String dir = System.getProperty("hlo4j.conformance.dir");
        return dir != null ? Path.of(dir) : Path.of("").toAbsolutePath().getParent().resolve("../shared/conformance").normalize();
    }
}
