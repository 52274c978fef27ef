package io.hlo4j.mlir.dialect.stablehlo.attr;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

/**
 * {@code #stablehlo.output_operand_alias<output_tuple_indices = [], operand_index = 0, operand_tuple_indices = []>}:
 * custom_call output aliasing an operand. All three fields are always written, in this order.
 */
public record OutputOperandAlias(Dims outputTupleIndices, long operandIndex, Dims operandTupleIndices)
        implements DialectAttribute {
    @Override public String name() { return "stablehlo.output_operand_alias"; }

    @Override public String toString() {
        return "#stablehlo.output_operand_alias<output_tuple_indices = " + outputTupleIndices + ", operand_index = "
                + operandIndex + ", operand_tuple_indices = " + operandTupleIndices + ">";
    }

    public static OutputOperandAlias parse(AsmParser p) {
        p.expect("<");
        p.expectKeyword("output_tuple_indices");
        p.expect("=");
        Dims out = Dims.parse(p);
        p.expect(",");
        p.expectKeyword("operand_index");
        p.expect("=");
        long idx = p.parseInteger();
        p.expect(",");
        p.expectKeyword("operand_tuple_indices");
        p.expect("=");
        Dims in = Dims.parse(p);
        p.expect(">");
        return new OutputOperandAlias(out, idx, in);
    }
}
