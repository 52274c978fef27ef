package io.hlo4j.mlir.dialect.check.testing;

import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.VerificationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Assertions the dialect tests share. */
public final class OpAssertions {
    private OpAssertions() {}

    /** Runs the op's registered verifier. */
    public static void verify(Operation op) {
        op.def().verifier().verify(op);
    }

    /** The op's verifier rejects it with a message containing {@code fragment}. */
    public static void rejects(Operation op, String fragment) {
        assertThatThrownBy(() -> verify(op)).isInstanceOf(VerificationException.class)
                .hasMessageContaining("'" + op.name() + "' op").hasMessageContaining(fragment);
    }

    /** Same name, attributes and operand/result types (operands are compared by type, not identity). */
    public static void assertSameStructure(Operation a, Operation b) {
        assertThat(b.name()).isEqualTo(a.name());
        assertThat(b.properties()).as("properties of " + a.name()).isEqualTo(a.properties());
        assertThat(b.attributes()).as("attributes of " + a.name()).isEqualTo(a.attributes());
        assertThat(b.operandTypes()).as("operand types of " + a.name()).isEqualTo(a.operandTypes());
        assertThat(b.resultTypes()).as("result types of " + a.name()).isEqualTo(a.resultTypes());
        assertThat(b.regions().size()).isEqualTo(a.regions().size());
    }

    /** Collapses runs of whitespace so printed text can be compared with upstream's spacing choices ignored. */
    public static String squash(String s) {
        return s.replaceAll("\\s+", " ").replaceAll("\\( ", "(").replaceAll(" \\)", ")").trim();
    }
}
