package io.hlo4j.runtime.conformance;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** RUN lines to tool runs: flags, quoting, {@code not}, {@code 2>&1}, FileCheck prefixes; unknown flags refused. */
class ToolRunTest {
    @Test
    void plainInterpretRun() {
        ToolRun r = ToolRun.parse("stablehlo-opt -inline %s | stablehlo-translate --interpret");
        assertThat(r).isNotNull();
        assertThat(r.negated()).isFalse();
        assertThat(r.splitInput()).isFalse();
        assertThat(r.checkPrefixes()).isNull();
    }

    @Test
    void notArgsStderrAndPrefixes() {
        ToolRun r = ToolRun.parse("not stablehlo-translate %s --interpret --args=\"[dense<1> : tensor<2xi32>, dense<2> : tensor<2xi32>]\" 2>&1 "
                + "| FileCheck %s --check-prefixes=A,B");
        assertThat(r.negated()).isTrue();
        assertThat(r.stderrToStdout()).isTrue();
        assertThat(r.args()).isEqualTo("[dense<1> : tensor<2xi32>, dense<2> : tensor<2xi32>]");
        assertThat(r.checkPrefixes()).containsExactly("A", "B");
        assertThat(ToolRun.parse("stablehlo-translate --interpret %s | FileCheck %s").checkPrefixes()).containsExactly("CHECK");
        assertThat(ToolRun.parse("stablehlo-translate --interpret --interpreter-print-dense -split-input-file %s | FileCheck %s --check-prefix=D"))
                .satisfies(x -> {
                    assertThat(x.printDense()).isTrue();
                    assertThat(x.splitInput()).isTrue();
                    assertThat(x.checkPrefixes()).isEqualTo(List.of("D"));
                });
    }

    @Test
    void probeDirThroughXargs() {
        ToolRun r = ToolRun.parse("dirname %t | xargs -I{DIR} stablehlo-translate --interpret --probe-output-dir={DIR} -split-input-file %s");
        assertThat(r.probeDir()).isTrue();
        assertThat(r.splitInput()).isTrue();
    }

    @Test
    void otherToolsAreNotInterpreterRuns() {
        assertThat(ToolRun.parse("stablehlo-opt %s > %t.1")).isNull();
        assertThat(ToolRun.parse("stablehlo-translate --serialize --target=current %s")).isNull();
        assertThat(RunLines.of("// RUN: diff %t.0 %t.1\n// RUN: stablehlo-opt %s > %t.1\n").interpret()).isFalse();
    }

    @Test
    void refusesUnknownFlagsAndStages() {
        assertThatThrownBy(() -> ToolRun.parse("stablehlo-translate --interpret --frobnicate %s")).hasMessageContaining("--frobnicate");
        assertThatThrownBy(() -> ToolRun.parse("stablehlo-translate --interpret %s | sort")).hasMessageContaining("sort");
        assertThatThrownBy(() -> ToolRun.parse("stablehlo-translate --interpret %s | FileCheck %s --strict-whitespace"))
                .hasMessageContaining("--strict-whitespace");
    }
}
