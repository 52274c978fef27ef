package io.hlo4j.compiler.spmd.partition;

import io.hlo4j.mlir.types.FloatType;
import io.hlo4j.mlir.types.TensorType;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

class ElementwisePartitionTest {
    static final List<String> MESHES = List.of("x=8", "x=4,y=2", "x=2,y=4", "x=2,y=2,z=2");

    static List<HostArray> inputs(Prog p, Random rnd) {
        List<HostArray> in = new ArrayList<>();
        for (TensorType t : p.argTypes()) in.add(SpmdHarness.random(t, rnd));
        return in;
    }

    @Test
    void randomShardingsOnEveryValue() {
        TensorType t = TensorType.of(FloatType.F32, 8, 4, 2);
        for (String mesh : MESHES) {
            for (int seed = 0; seed < 6; seed++) {
                Random rnd = new Random(seed * 31L + mesh.hashCode());
                Prog p = new Prog(mesh, rnd);
                String a = p.arg(t), b = p.arg(t);
                String s = p.op("stablehlo.add", List.of(a, b), "", "", t);
                String m = p.op("stablehlo.multiply", List.of(s, a), "", "", t);
                String e = p.op("stablehlo.maximum", List.of(m, b), "", "", t);
                p.result(e);
                p.result(s);
                SpmdHarness.check(p.text(), inputs(p, rnd));
            }
        }
    }
}
