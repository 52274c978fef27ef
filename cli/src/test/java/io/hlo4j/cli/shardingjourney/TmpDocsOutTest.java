package io.hlo4j.cli.shardingjourney;

import io.hlo4j.cli.Main;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.grad.Checkpointing;
import io.hlo4j.dsl.grad.Grad;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.Nn;
import io.hlo4j.compiler.ad.Checkpoint;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import static io.hlo4j.dsl.DType.F32;

class TmpDocsOutTest {
    static String cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        Main.run(new PrintWriter(o), new PrintWriter(e), args);
        return o + e.toString();
    }

    @Test
    void dump() throws Exception {
        StringBuilder sb = new StringBuilder();
        cli("dump", "moe", "--emit", "explicit", "--mesh", "ep=2", "-o", "/tmp/dce/moe-ep.mlir");
        sb.append(cli("inspect", "/tmp/dce/moe-ep.mlir")).append("\n=====\n");
        cli("dump", "moe", "--emit", "explicit", "--mesh", "ep=2,tp=2", "-o", "/tmp/dce/moe-device.mlir");
        sb.append(cli("inspect", "/tmp/dce/moe-device.mlir")).append("\n=====\n");
        for (Checkpoint.Policy policy : Checkpoint.Policy.values()) {
            var block = Checkpointing.checkpoint(a -> List.of(Nn.gelu(a.get(0).matmul(a.get(1)), true).matmul(a.get(1))), policy);
            TracedFunction loss = a -> block.apply(List.of((Tensor) a[0], (Tensor) a[1])).get(0).sum();
            String text = Jit.jit("ck", Grad.grad(loss, 1)).lower(Spec.of(F32, 4, 8), Spec.of(F32, 8, 8)).asText();
            sb.append(String.format("%-7s dot_general %d, optimization_barrier %d%n", policy,
                    text.split("stablehlo.dot_general", -1).length - 1, text.split("stablehlo.optimization_barrier", -1).length - 1));
        }
        java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/dce/docs.txt"), sb.toString());
    }
}
