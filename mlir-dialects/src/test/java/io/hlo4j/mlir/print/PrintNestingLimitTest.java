package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.ParseException;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.NestedWhiles;
import org.junit.jupiter.api.Test;

import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Whatever the printer writes, the parser reads back: for regions in regions, nested types, nested arrays and nested
 * dictionaries, the deepest program whose pretty and generic forms print parses again (and prints the same), and one
 * level more is refused by name, by the parser (the input) or by the printer (a form that nests deeper than its input).
 * The limits are those of {@code MlirParser.MAX_NESTING} = 160 levels of brackets, counted by hand below.
 */
class PrintNestingLimitTest {
    private static final int MAX = MlirParser.MAX_NESTING;

    /** An argument of type tuple<...<tensor<i32>>...> with {@code n} tuples. */
    static String tuples(int n) {
        String t = "tuple<".repeat(n) + "tensor<i32>" + ">".repeat(n);
        return "func.func @main(%x: " + t + ") -> " + t + " {\n  func.return %x : " + t + "\n}\n";
    }

    /** A function attribute of {@code n} nested arrays. */
    static String arrays(int n) {
        return "func.func @main(%x: tensor<i32>) -> tensor<i32> attributes {a = " + "[".repeat(n) + "1" + "]".repeat(n) + "} {\n"
                + "  func.return %x : tensor<i32>\n}\n";
    }

    /** A function attribute of {@code n} nested dictionaries. */
    static String dicts(int n) {
        return "func.func @main(%x: tensor<i32>) -> tensor<i32> attributes {a = " + "{b = ".repeat(n) + "1" + "}".repeat(n) + "} {\n"
                + "  func.return %x : tensor<i32>\n}\n";
    }

    /**
     * The largest n whose input parses and whose {@code form} prints; asserts the printed text parses back to the same
     * print, and that n + 1 is refused by name (parser or printer), never by another exception.
     */
    /**
     * {@code program(n)} prints, parses back to the same text, and {@code program(n + 1)} is refused by name: n is the
     * deepest printable (only these two are tried; the limits are counted by hand at the call sites).
     */
    private static void assertDeepestPrintable(IntFunction<String> program, PrintOptions form, int n) {
        String text = printed(program.apply(n), form);
        assertThat(text).as("depth " + n + " prints").isNotNull();
        assertThat(MlirPrinter.print(MlirParser.parseModule(text, "printed.mlir"), form)).isEqualTo(text);
        String deeper = program.apply(n + 1);
        Throwable t = catchThrowable(() -> MlirPrinter.print(MlirParser.parseModule(deeper, "deep.mlir"), form));
        assertThat(t).as("depth " + (n + 1) + " is refused").isInstanceOfAny(ParseException.class, PrintLimitException.class);
        if (t instanceof ParseException) assertThat(t).hasMessageContaining("nesting is deeper than " + MAX + " levels of brackets");
        else assertThat(t).hasMessageContaining("nests deeper than the " + MAX + " levels of brackets the parser reads back");
    }

    /** The printed form of the program, or null when the parser or the printer refuses it by its nesting. */
    private static String printed(String program, PrintOptions form) {
        try {
            return MlirPrinter.print(MlirParser.parseModule(program, "deep.mlir"), form);
        } catch (ParseException e) {
            assertThat(e).hasMessageContaining("nesting is deeper than");
            return null;
        } catch (PrintLimitException e) {
            return null;
        }
    }

    @Test
    void regionsInRegions() {
        // pretty: module { func { + one { per loop + the innermost compare's (tensor< : n + 4 <= 160 (the input: n + 3)
        assertDeepestPrintable(NestedWhiles::text, PrintOptions.DEFAULT, MAX - 4);
        // generic: "builtin.module"() ({ "func.func"() <{...}> ({ + ({ per loop + the compare's <{ #stablehlo< : 2n + 7 <= 160
        assertDeepestPrintable(NestedWhiles::text, PrintOptions.GENERIC, (MAX - 7) / 2);
    }

    @Test
    void nestedTypes() {
        // pretty: module { func @main(%x: tuple<... tensor< : n + 3 <= 160
        // generic: "builtin.module"() ({ "func.func"() <{function_type = (tuple<... tensor< : n + 6
        assertDeepestPrintable(PrintNestingLimitTest::tuples, PrintOptions.DEFAULT, MAX - 3);
        assertDeepestPrintable(PrintNestingLimitTest::tuples, PrintOptions.GENERIC, MAX - 6);
    }

    @Test
    void nestedArraysAndDictionaries() {
        // pretty: module { attributes { a = [[...: n + 2 <= 160; generic: ({ <{...}> dictionary: the same + 1
        assertDeepestPrintable(PrintNestingLimitTest::arrays, PrintOptions.DEFAULT, MAX - 2);
        assertDeepestPrintable(PrintNestingLimitTest::arrays, PrintOptions.GENERIC, MAX - 3);
        assertDeepestPrintable(PrintNestingLimitTest::dicts, PrintOptions.DEFAULT, MAX - 2);
        assertDeepestPrintable(PrintNestingLimitTest::dicts, PrintOptions.GENERIC, MAX - 3);
    }

    @Test
    void theRefusalNamesTheOpThatNestsTooDeepAndItsLine() {
        Module m = MlirParser.parseModule(NestedWhiles.text(80), "loops.mlir"); // parses (83 levels); its generic form needs 167
        Throwable t = catchThrowable(() -> MlirPrinter.print(m, PrintOptions.GENERIC));
        assertThat(t).isInstanceOf(PrintLimitException.class)
                .hasMessageStartingWith("cannot print stablehlo.compare (line 462 of its generic form): ")
                .hasMessageContaining("nests deeper than the 160 levels of brackets the parser reads back (the generic form writes two levels per region)");
        // the innermost loop's compare: line 2 + 5 * 79 + 2 of the input
        assertThat(((Hlo4jException) t).location().describe()).isEqualTo("loops.mlir:" + (3 + 5 * 79 + 1) + ":5");
        assertThat(MlirPrinter.print(m, PrintOptions.DEFAULT)).isNotEmpty(); // the pretty form is within the limit
    }

    @Test
    void irBuiltDeeperThanAnyTextIsRefusedBeforeThePrinterRecurses() {
        // 100,000 regions in regions, built in Java: a recursive printer would overflow its stack
        Operation op = Operation.builder("t.leaf").build();
        for (int i = 0; i < 100_000; i++) {
            Block.Builder b = Block.builder();
            b.append(op);
            op = Operation.builder("t.wrap").region(Region.of(b.build())).build();
        }
        Operation root = op;
        Throwable t = catchThrowable(() -> MlirPrinter.print(root, PrintOptions.GENERIC));
        assertThat(t).isInstanceOf(PrintLimitException.class)
                .hasMessage("cannot print t.wrap: it is nested in 161 regions, more than the 160 levels of brackets the parser reads back");
    }

    @Test
    void bracketsAreCountedAsTheLexerMakesTokens() {
        // strings and arrows do not count; every other bracket does
        assertThat(NestingLimit.firstTooDeep("\"" + "(".repeat(500) + "\" () -> " + "<".repeat(MAX))).isEqualTo(-1);
        assertThat(NestingLimit.firstTooDeep("\"\\\"((\" " + "[".repeat(MAX + 1))).isEqualTo(7 + MAX);
        assertThat(NestingLimit.firstTooDeep("-> ".repeat(10) + "{".repeat(MAX) + ">" + "(")).isEqualTo(-1);
    }
}
