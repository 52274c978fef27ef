package io.hlo4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code dump --emit explicit} keeps the global program's {@code sdy.mesh} in front of the per-device program (nothing
 * in it uses the mesh, unlike a shard_map JAX lowers, whose manual computation names it), so {@code inspect} of the dump
 * names the mesh axes its collectives span; the declaration changes nothing else: {@code verify}, {@code print},
 * {@code run} on simulated devices and the PJRT compile path (the mock plugin only: no real XLA here) take the file,
 * and {@code run} gives what it gives without the line.
 */
class DumpExplicitMeshTest {
    @TempDir Path dir;

    private Path dump(String name, String... args) {
        Path f = dir.resolve(name);
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-o", f.toString()));
        Cli.Run r = DumpCommandTest.dump(all.toArray(String[]::new));
        assertThat(r.code()).as(r.toString()).isZero();
        return f;
    }

    private static List<String> collectiveLines(String inspectOut) {
        return inspectOut.lines().filter(l -> l.startsWith("  stablehlo.all_")).toList();
    }

    /** The MoE layer's experts over ep=2: its three all_reduces sum the two devices' halves, over the axis ep. */
    @Test void theExpertParallelMoeDumpNamesItsCollectivesAxes() throws Exception {
        Path f = dump("moe-ep.mlir", "moe", "--emit", "explicit", "--mesh", "ep=2");
        List<String> lines = Files.readAllLines(f);
        assertThat(lines.get(1)).isEqualTo("  sdy.mesh @mesh = <[\"dp\"=1, \"fsdp\"=1, \"ep\"=2, \"tp\"=1, \"sp\"=1]>");
        assertThat(lines.stream().filter(l -> l.contains("sdy."))).hasSize(1); // the declaration, nothing else of Shardy

        Cli.Run inspect = InspectCommandTest.run("inspect", f.toString());
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        List<String> collectives = collectiveLines(inspect.out());
        assertThat(collectives).hasSize(3).allSatisfy(l -> assertThat(l).endsWith("groups [[0, 1]], over @mesh axes ep"));
        Cli.Run json = InspectCommandTest.run("inspect", "--json", f.toString());
        JsonNode root = new ObjectMapper().readTree(json.out());
        assertThat(root.has("collectives_after_partitioning")).as("a per-device program, not an annotated global one").isFalse();
        JsonNode first = root.get("collectives").get(0);
        assertThat(first.get("mesh").asText()).isEqualTo("mesh");
        assertThat(first.get("mesh_axes").toString()).isEqualTo("[\"ep\"]");

        assertThat(Cli.run("verify", f.toString()).out()).isEqualTo("OK " + f + "\n");
        Cli.Run print = Cli.run("print", f.toString());
        assertThat(print.code()).as(print.toString()).isZero();
        assertThat(print.out()).isEqualTo(Files.readString(f));
    }

    /**
     * ep=2, tp=2 on the 5D mesh (dp, fsdp, ep, tp, sp): device d sits at ep = d / 2, tp = d % 2, so groups [[0, 1], [2, 3]]
     * span tp and [[0, 2], [1, 3]] span ep; every collective of the dump is named by one of the two.
     */
    @Test void twoAxesAreToldApart() {
        Path f = dump("moe-ep-tp.mlir", "moe", "--emit", "explicit", "--mesh", "ep=2,tp=2");
        Cli.Run inspect = InspectCommandTest.run("inspect", f.toString());
        assertThat(inspect.code()).as(inspect.toString()).isZero();
        List<String> collectives = collectiveLines(inspect.out());
        assertThat(collectives).isNotEmpty().allSatisfy(l -> assertThat(l).satisfiesAnyOf(
                x -> assertThat(x).contains("groups [[0, 1], [2, 3]], over @mesh axes tp"),
                x -> assertThat(x).contains("groups [[0, 2], [1, 3]], over @mesh axes ep"),
                x -> assertThat(x).contains("groups [[0, 1, 2, 3]], over @mesh axes ep,tp")));
    }

    /** run on two simulated devices: the same results with the declaration as without it (the line removed). */
    @Test void runAndThePjrtCompileTakeTheDump() throws Exception {
        Path f = dump("mlp-dp.mlir", "mlp", "--emit", "explicit", "--mesh", "dp=2");
        String text = Files.readString(f);
        assertThat(text).contains("\n  sdy.mesh @mesh = ");
        Path bare = dir.resolve("mlp-dp-bare.mlir");
        Files.writeString(bare, text.replaceFirst("\n  sdy\\.mesh @mesh = [^\n]*", ""));
        var main = io.hlo4j.mlir.parse.MlirParser.parseModule(text, f.toString()).symbols().lookup("main");
        var ft = (io.hlo4j.mlir.types.FunctionType) ((io.hlo4j.mlir.attr.TypeAttr) main.attr("function_type")).value();
        List<String> inputs = new ArrayList<>();
        Random rnd = new Random(11);
        for (int i = 0; i < ft.inputs().size(); i++) {
            var t = (io.hlo4j.mlir.types.TensorType) ft.inputs().get(i);
            double[] v = new double[(int) t.numElements()];
            for (int k = 0; k < v.length; k++) v[k] = rnd.nextGaussian();
            Path npy = dir.resolve("in" + i + ".npy");
            Npy.write(npy, HostArray.fromDoubles(t, v));
            inputs.addAll(List.of("--input", npy.toString()));
        }
        List<String> withMesh = new ArrayList<>(List.of("run", f.toString(), "--devices", "2", "-o", dir.resolve("a").toString()));
        withMesh.addAll(inputs);
        List<String> without = new ArrayList<>(List.of("run", bare.toString(), "--devices", "2", "-o", dir.resolve("b").toString()));
        without.addAll(inputs);
        Cli.Run a = Cli.run(withMesh.toArray(String[]::new)), b = Cli.run(without.toArray(String[]::new));
        assertThat(a.code()).as(a.toString()).isZero();
        assertThat(b.code()).as(b.toString()).isZero();
        for (int d = 0; d < 2; d++) {
            Path ra = dir.resolve("a/device" + d + "/result0.npy"), rb = dir.resolve("b/device" + d + "/result0.npy");
            assertThat(Npy.read(ra)).isEqualTo(Npy.read(rb));
        }

        // The PJRT path hands the dump to the plugin (the mock compiles only a lone add or dot, and says what it got)...
        Path mock = MockPlugin.path();
        Cli.Run compile = Cli.run("compile", f.toString(), "--pjrt-plugin", mock.toString(), "--pjrt-option", "num_devices=2");
        assertThat(compile.err()).contains("the mock runs only a single stablehlo.add or stablehlo.dot_general; got a program of")
                .contains("for 1 replica(s) x 2 partition(s)");
        // ... and compiles a per-device program with the dump's mesh declaration that the mock does run.
        String mesh = text.lines().filter(l -> l.startsWith("  sdy.mesh")).findFirst().orElseThrow();
        Path add = dir.resolve("add-mesh.mlir");
        Files.writeString(add, "module @m attributes {mhlo.num_partitions = 2 : i32, mhlo.num_replicas = 1 : i32} {\n" + mesh + "\n"
                + "  func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {\n"
                + "    %0 = stablehlo.add %a, %b : tensor<4xf32>\n    return %0 : tensor<4xf32>\n  }\n}\n");
        Cli.Run ok = Cli.run("compile", add.toString(), "--pjrt-plugin", mock.toString(), "--pjrt-option", "num_devices=2");
        assertThat(ok.code()).as(ok.toString()).isZero();
        assertThat(ok.out()).contains("2 partitions");
    }
}
