package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.compiler.spmd.propagate.Propagation;
import io.hlo4j.mlir.attr.TypeAttr;
import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.print.MlirPrinter;
import io.hlo4j.mlir.types.FunctionType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.mlir.types.Type;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The MoE layer as the DSL emits it annotated on the 5D mesh (default config: the FUSED method traced as one
 * expert shard, so the global program has no shard_map: router, top-k, sort, ragged_dot experts, scatter-add), written by {@code ./hlo4j dump moe --batch 2 --seq 4 --emit annotated --mesh M}
 * into {@code src/test/resources/io/hlo4j/compiler/spmd/partition/moe/} ({@code moe-layer-*}), and the STANDARD
 * method ({@code moe-standard-*}, {@code --config standard-config.json}: case c26's config with
 * {@code moe_method = standard_moe} and f32): propagated, partitioned, run on the
 * 8 simulated devices and compared with the global program; no op may be computed replicated.
 */
class MoeLayerPartitionTest {
    @ParameterizedTest
    @ValueSource(strings = {"layer-dp1-fsdp2-ep2-tp2-sp1", "layer-dp2-fsdp1-ep2-tp1-sp2", "layer-dp1-fsdp1-ep8-tp1-sp1",
            "layer-dp1-fsdp1-ep2-tp2-sp2", "standard-dp1-fsdp2-ep2-tp2-sp1", "standard-dp2-fsdp1-ep2-tp1-sp2"})
    void matchesTheGlobalProgram(String mesh) throws IOException {
        String text;
        try (InputStream in = getClass().getResourceAsStream("moe/moe-" + mesh + ".mlir")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Module annotated = MlirParser.parseModule(text, mesh + ".mlir");
        String propagated = MlirPrinter.print(Propagation.propagate(annotated).module());
        FunctionType ft = (FunctionType) ((TypeAttr) annotated.symbols().lookup("main").attr("function_type")).value();
        List<HostArray> inputs = new ArrayList<>();
        Random rnd = new Random(mesh.hashCode());
        for (Type t : ft.inputs()) inputs.add(SpmdHarness.random((TensorType) t, rnd));
        PartitionedProgram prog = SpmdHarness.check(propagated, inputs);
        assertThat(prog.devices()).isEqualTo(8);
        assertThat(prog.report().replicated()).as(prog.report().toString()).isEmpty();
    }
}
