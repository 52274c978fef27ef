package io.hlo4j.mlir.build;

import io.hlo4j.mlir.ir.Hlo4jException;
import io.hlo4j.mlir.ir.Location;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.IntegerType;
import io.hlo4j.mlir.types.TensorType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * StablehloBuilder's transpose, slice, dynamic_slice, concatenate, pad and dot_general take their result types from
 * the ops' type rules: the types come out as the rules compute them (checked by hand here), dot_general's preferred
 * element type replaces only the element type, and a refusal is the rule's message at the caller's location.
 */
class StablehloBuilderTypeRulesTest {
    static final Location L = new Location.FileLineCol("Model.java", 12, 0);
    static final TensorType F4x6 = TensorType.of(FloatType.F32, 4, 6);

    @Test
    void resultTypesComeFromTheRules() {
        FunctionBuilder fb = IrBuilder.function("f", List.of(F4x6, TensorType.scalar(IntegerType.I32)), L);
        StablehloBuilder h = new StablehloBuilder(fb);
        Value x = fb.argument(0), i = fb.argument(1);
        assertThat(h.transpose(x, new long[]{1, 0}, L).type()).isEqualTo(TensorType.of(FloatType.F32, 6, 4));
        assertThat(h.slice(x, new long[]{1, 0}, new long[]{4, 6}, new long[]{2, 4}, L).type()).isEqualTo(TensorType.of(FloatType.F32, 2, 2));
        assertThat(h.dynamicSlice(x, List.of(i, i), new long[]{3, 1}, L).type()).isEqualTo(TensorType.of(FloatType.F32, 3, 1));
        assertThat(h.concatenate(List.of(x, x, x), 1, L).type()).isEqualTo(TensorType.of(FloatType.F32, 4, 18));
        OpResult zero = h.constant(TensorType.scalar(FloatType.F32), 0, L);
        // 4 with interior 1 is 7, plus 2 low, minus 1 high: 8; 6 cropped by 1 low: 5.
        assertThat(h.pad(x, zero, new long[]{2, -1}, new long[]{-1, 0}, new long[]{1, 0}, L).type()).isEqualTo(TensorType.of(FloatType.F32, 8, 5));
        OpResult d = h.dotGeneral(x, x, new long[0], new long[0], new long[]{0}, new long[]{0}, FloatType.F64, L);
        assertThat(d.type()).isEqualTo(TensorType.of(FloatType.F64, 6, 6));
        assertThat(h.dotGeneral(x, x, new long[0], new long[0], new long[]{1}, new long[]{1}, null, L).type())
                .isEqualTo(TensorType.of(FloatType.F32, 4, 4));
        assertThat(d.owner().location()).isEqualTo(L);
    }

    @Test
    void refusalsAreTheRulesMessagesAtTheCallersLocation() {
        FunctionBuilder fb = IrBuilder.function("f", List.of(F4x6), L);
        StablehloBuilder h = new StablehloBuilder(fb);
        Value x = fb.argument(0);
        assertThatThrownBy(() -> h.transpose(x, new long[]{1, 1}, L)).isInstanceOf(Hlo4jException.class)
                .hasMessage("'stablehlo.transpose' op (transpose_c2) permutation entry 1 appears twice; operand tensor<4x6xf32>, permutation [1, 1]")
                .extracting(e -> ((Hlo4jException) e).location()).isEqualTo(L);
        assertThatThrownBy(() -> h.dotGeneral(x, x, new long[0], new long[0], new long[]{0}, new long[]{1}, FloatType.F64, L))
                .hasMessageStartingWith("'stablehlo.dot_general' op (dot_general_c8) contracting dimension lhs 0 (size 4) and rhs 1 (size 6)")
                .extracting(e -> ((Hlo4jException) e).location()).isEqualTo(L);
        assertThatThrownBy(() -> h.concatenate(List.of(), 0, L)).hasMessage("'stablehlo.concatenate' op (arity) expects at least 1 operand(s), got 0");
        // Nothing refused was emitted.
        assertThat(fb.operations()).isEmpty();
    }
}
