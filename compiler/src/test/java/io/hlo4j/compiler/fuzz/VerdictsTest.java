package io.hlo4j.compiler.fuzz;

import io.hlo4j.mlir.ir.Location;
import io.hlo4j.runtime.interp.InterpreterException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The fuzzers' pass criterion judges a refusal by its whole cause chain, not by the hlo4j error on top. */
class VerdictsTest {
    private static final Location AT = new Location.FileLineCol("m.mlir", 3, 5);

    /**
     * The interpreter wraps any kernel exception ("stablehlo.x: java.lang.IllegalStateException: ..."); such a wrapped
     * internal error passed before, as IllegalStateException and IllegalArgumentException were not listed as crashes.
     */
    @Test void aWrappedInternalErrorIsACrash() {
        var ise = new IllegalStateException("no value bound");
        var wrapped = new InterpreterException("stablehlo.add: " + ise, AT, ise);
        assertThat(Verdicts.judge(wrapped)).startsWith("crash: a wrapped java.lang.IllegalStateException: no value bound");
        var iae = new IllegalArgumentException("shape [3] has more than 1 elements");
        assertThat(Verdicts.judge(new InterpreterException("stablehlo.add: " + iae, AT, iae))).contains("IllegalArgumentException");
        var suppressed = new InterpreterException("stablehlo.add: refused", AT);
        suppressed.addSuppressed(new IllegalStateException("the one-device run fell over"));
        assertThat(Verdicts.judge(suppressed)).contains("IllegalStateException");
    }

    @Test void aPlainOrHlo4jWrappedRefusalPasses() {
        assertThat(Verdicts.judge(new InterpreterException("stablehlo.add: operand #1 has type tensor<3xf32>", AT))).isNull();
        var inner = new InterpreterException("stablehlo.while: deadline exceeded", AT);
        assertThat(Verdicts.judge(new InterpreterException("func.call: " + inner.getMessage(), AT, inner))).isNull();
        assertThat(Verdicts.judge(new IllegalStateException("x"))).startsWith("not an hlo4j error");
    }
}
