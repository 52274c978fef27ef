package io.hlo4j.runtime.conformance;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** hlo4j's FileCheck subset on hand-written outputs and check files; each mismatch kind must fail. */
class FileCheckTest {
    private static final String OUT = "tensor<2xi8> {\n  [1, 2]\n}\ntensor<ui8> {7}\n";

    private static String check(String output, String checks, String... prefixes) {
        return FileCheck.check(output, checks, List.of(prefixes.length == 0 ? new String[] {"CHECK"} : prefixes));
    }

    @Test
    void checkAndNextMatchInOrder() {
        assertThat(check(OUT, "// CHECK: tensor<2xi8> {\n// CHECK-NEXT:   [1, 2]\n// CHECK-NEXT: }\n// CHECK: {7}")).isNull();
    }

    @Test
    void missingStringFails() {
        assertThat(check(OUT, "// CHECK: tensor<3xi8>")).contains("CHECK: \"tensor<3xi8>\"").contains("not found");
    }

    @Test
    void nextOnAnotherLineFails() {
        // "}" exists, but two lines after the match, not on the next line
        assertThat(check(OUT, "// CHECK: tensor<2xi8> {\n// CHECK-NEXT: }")).contains("CHECK-NEXT").contains("expected on output line 2");
    }

    @Test
    void orderMatters() {
        assertThat(check(OUT, "// CHECK: {7}\n// CHECK: tensor<2xi8>")).contains("not found");
    }

    @Test
    void sameMustStayOnTheLine() {
        assertThat(check(OUT, "// CHECK: tensor<ui8>\n// CHECK-SAME: {7}")).isNull();
        assertThat(check(OUT, "// CHECK: tensor<2xi8>\n// CHECK-SAME: [1, 2]")).contains("CHECK-SAME");
    }

    @Test
    void notBetweenMatches() {
        assertThat(check(OUT, "// CHECK: tensor<2xi8>\n// CHECK-NOT: [3\n// CHECK: {7}")).isNull();
        assertThat(check(OUT, "// CHECK: tensor<2xi8>\n// CHECK-NOT: [1\n// CHECK: {7}")).contains("excluded string found on output line 2");
        assertThat(check(OUT, "// CHECK: tensor<ui8>\n// CHECK-NOT: tensor")).isNull(); // earlier occurrences do not count
    }

    @Test
    void horizontalWhitespaceIsCanonical() {
        assertThat(check("a   b\tc\n", "// CHECK:   a b   c")).isNull();
    }

    @Test
    void regexBlocksAndLiteral() {
        assertThat(check("x = 42\n", "// CHECK: x = {{[0-9]+}}")).isNull();
        assertThat(check("x = y\n", "// CHECK: x = {{[0-9]+}}")).contains("not found");
        assertThat(check("[[1, 2]]\n", "// CHECK{LITERAL}: [[1, 2]]")).isNull();
        assertThatThrownBy(() -> check("[[1, 2]]\n", "// CHECK: [[1, 2]]")).hasMessageContaining("[[...]]");
    }

    @Test
    void prefixesAreWholeWords() {
        // CHECK-DENSE lines are not CHECK directives, and vice versa
        String checks = "// CHECK: tensor<ui8>\n// CHECK-DENSE: dense<7>\n";
        assertThat(check(OUT, checks, "CHECK")).isNull();
        assertThat(check("dense<7> : tensor<ui8>\n", checks, "CHECK-DENSE")).isNull();
        assertThat(check(OUT, "// XCHECK: nothing\n// CHECK: {7}")).isNull();
    }

    @Test
    void severalPrefixesAndUnusedPrefix() {
        assertThat(check(OUT, "// A: tensor<2xi8>\n// B-NEXT: [1, 2]", "A", "B")).isNull();
        assertThatThrownBy(() -> check(OUT, "// A: tensor", "A", "B")).hasMessageContaining("no check strings found with prefix B");
    }

    @Test
    void refusesWhatItDoesNotImplement() {
        assertThatThrownBy(() -> check(OUT, "// CHECK-DAG: x")).hasMessageContaining("CHECK-DAG");
        assertThatThrownBy(() -> check(OUT, "// CHECK-NEXT: x")).hasMessageContaining("no previous match");
        assertThatThrownBy(() -> check(OUT, "// CHECK:   ")).hasMessageContaining("empty check string");
    }
}
