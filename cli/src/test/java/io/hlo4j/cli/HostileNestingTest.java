package io.hlo4j.cli;

import io.hlo4j.mlir.testing.NestedWhiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Nesting at the CLI: text deeper than the parser reads is refused at its line by every command (never a stack
 * overflow), and print refuses, in one line naming the op, a form that would nest deeper than the parser reads back.
 */
class HostileNestingTest {
    @TempDir Path dir;

    private static Cli.Run within30s(String... args) {
        return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(args));
    }

    @Test
    void printRefusesAGenericFormDeeperThanTheParserReadsNamingTheOp() throws IOException {
        Path f = Files.writeString(dir.resolve("loops.mlir"), NestedWhiles.text(80)); // 83 levels; its generic form needs 167
        Cli.Run pretty = within30s("print", f.toString());
        assertThat(pretty.code()).as(pretty.toString()).isZero();
        Cli.Run generic = within30s("print", "--generic", f.toString());
        assertThat(generic.code()).as(generic.toString()).isEqualTo(1);
        assertThat(generic.out()).isEmpty();
        // the innermost loop's compare, input line 3 + 5 * 79 + 1
        assertThat(generic.err()).as(generic.toString()).hasLineCount(1).isEqualTo("hlo4j: " + f + ":399:5: cannot print stablehlo.compare"
                + " (line 462 of its generic form): it nests deeper than the 160 levels of brackets the parser reads back"
                + " (the generic form writes two levels per region)\n");
    }

    @Test
    void textNestedFarTooDeepIsRefusedAtItsLineByEveryCommand() throws IOException {
        Path f = Files.writeString(dir.resolve("deep.mlir"), "func.func @main() -> " + "tuple<".repeat(100_000) + "tensor<i32>"
                + ">".repeat(100_000) + " {\n}\n");
        for (String[] args : new String[][] {{"print", f.toString()}, {"verify", f.toString()}, {"run", f.toString()}, {"inspect", f.toString()},
                {"shardings", f.toString()}, {"dump", f.toString()}}) {
            Cli.Run r = within30s(args);
            assertThat(r.code()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).hasLineCount(1).startsWith("hlo4j: " + f + ":1:").contains("nesting is deeper than 160 levels of brackets")
                    .doesNotContain("nested too deeply for the thread stack");
        }
    }

    /** Regression: 200,000 chained arrows overflowed the parser's thread stack under the bracket cap. */
    @Test
    void aChainOfFunctionTypesFarTooLongIsRefusedAtItsLine() throws IOException {
        Path f = Files.writeString(dir.resolve("arrows.mlir"), "func.func @main(%x: " + "() -> ".repeat(200_000) + "i32) {\n}\n");
        Cli.Run r = within30s("verify", f.toString());
        assertThat(r.code()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).hasLineCount(1).startsWith("hlo4j: " + f + ":1:")
                .contains("nesting is deeper than 160 levels of brackets (each -> of a chain of function types counts one)")
                .doesNotContain("nested too deeply for the thread stack");
    }
}
