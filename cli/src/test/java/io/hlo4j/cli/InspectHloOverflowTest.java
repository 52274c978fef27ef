package io.hlo4j.cli;

import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.pjrt.proto.PrimitiveType;
import io.hlo4j.runtime.pjrt.proto.ShapeProto;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code inspect FILE.pb} on an optimized program whose collective's array bytes do not fit in 64 bits: 2^31 x 2^31
 * f32 is 2^62 elements (fits) of 4 bytes, 2^64 bytes, which a plain long product wraps to 0. The refusal names the
 * instruction and its shape in one line instead of counting 0 B.
 */
class InspectHloOverflowTest {
    @TempDir Path dir;

    private static ShapeProto f32(long... dims) {
        ShapeProto.Builder s = ShapeProto.newBuilder().setElementType(PrimitiveType.F32);
        for (long d : dims) s.addDimensions(d);
        return s.build();
    }

    @Test
    void aCollectiveWhoseBytesOverflowIsRefusedByName() throws IOException {
        long big = 1L << 31;
        HloComputationProto main = HloComputationProto.newBuilder().setId(1).setName("main.1")
                .addInstructions(HloInstructionProto.newBuilder().setId(1).setName("p.0").setOpcode("parameter").setParameterNumber(0)
                        .setShape(f32(big, big)))
                .addInstructions(HloInstructionProto.newBuilder().setId(2).setName("all-reduce.7").setOpcode("all-reduce")
                        .setShape(f32(big, big)).addOperandIds(1))
                .setRootId(2).build();
        HloModuleProto m = HloModuleProto.newBuilder().setName("jit_huge").setEntryComputationName("main.1").setEntryComputationId(1)
                .addComputations(main).build();
        Path pb = Files.write(dir.resolve("huge.pb"), m.toByteArray());
        Cli.Run r = InspectCommandTest.run("inspect", pb.toString());
        assertThat(r.code()).as(r.toString()).isNotZero();
        assertThat(r.out()).as(r.toString()).isEmpty();
        assertThat(r.err()).as(r.toString()).hasLineCount(1)
                .contains("all-reduce (%all-reduce.7, shape f32[2147483648,2147483648]): its bytes do not fit in 64 bits "
                        + "(operands [f32[2147483648,2147483648]])");
    }
}
