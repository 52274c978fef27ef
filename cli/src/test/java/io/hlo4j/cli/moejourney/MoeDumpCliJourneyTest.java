package io.hlo4j.cli.moejourney;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.hlo4j.cli.Main;
import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.moe.BaseMoeModule;
import io.hlo4j.dsl.moe.ExpertWeights;
import io.hlo4j.dsl.moe.MoEMethods;
import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeFusedHooks;
import io.hlo4j.dsl.moe.MoeLoadBalancingStrategy;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Day four of a MoE author's week: the layer leaves Java. The user lowers their layer (with an after_gate hook) as
 * StableHLO text with locations, reads it, checks it with {@code hlo4j verify}, costs it with {@code hlo4j inspect} and
 * runs it with {@code hlo4j run} on .npy inputs; then runs the same config through {@code hlo4j moe run --dump} and
 * the dump through {@code hlo4j run}. Oracles: the DSL's own call (bit for bit: one interpreter), the dot FLOPs by
 * hand, and this file's own text (the lines that call the layer and define the hook, found by searching it).
 */
class MoeDumpCliJourneyTest {
    record Out(int code, String out, String err) {
        @Override public String toString() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    static Out cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        return new Out(code, o.toString(), e.toString());
    }

    static HostArray random(Random r, double scale, long... shape) {
        double[] v = new double[(int) java.util.Arrays.stream(shape).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < v.length; i++) v[i] = scale * r.nextGaussian();
        return HostArray.fromDoubles(Spec.of(DType.F32, shape).tensorType(), v);
    }

    /** N = 6 tokens, E = 4, k = 2, H = 8, M = 6. */
    static final MoeConfig CFG = MoeConfig.of(4, 2, 8, 6).withLoadBalancing(MoeLoadBalancingStrategy.STANDARD, 0.01).withRouterZLoss(0.001);
    static final String SOURCE = "src/test/java/io/hlo4j/cli/moejourney/MoeDumpCliJourneyTest.java";

    /** The cli module's directory, from where this class was compiled to (target/test-classes), not the working directory. */
    static Path moduleDir() {
        try {
            return Path.of(MoeDumpCliJourneyTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent().getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static TracedFunction layer(MoeConfig cfg, boolean hook) {
        MoeFusedHooks<Tensor> hooks = hook ? MoeFusedHooks.<Tensor>none().withAfterGate(logits -> logits.mul(0.5)) : MoeFusedHooks.none();
        return a -> new BaseMoeModule(cfg, hooks).moeCall((Tensor) a[0], BaseMoeModule.linearGate((Tensor) a[1]), ExpertWeights.of((Tensor) a[2], (Tensor) a[3], (Tensor) a[4]), true).asMap();
    }

    static List<HostArray> inputs() {
        Random r = new Random(3);
        return List.of(random(r, 1, 2, 3, 8), random(r, 0.8, 8, 4), random(r, 0.5, 4, 8, 6), random(r, 0.5, 4, 8, 6), random(r, 0.5, 4, 6, 8));
    }

    /** The 1-based line of this file holding {@code marker} (exactly one). */
    static int lineOf(String marker) throws Exception {
        List<String> lines = Files.readAllLines(moduleDir().resolve(SOURCE));
        int found = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(marker)) {
                assertThat(found).as("one line holds " + marker).isEqualTo(-1);
                found = i + 1;
            }
        }
        assertThat(found).as(marker).isPositive();
        return found;
    }

    static List<String> writeInputs(Path dir, List<HostArray> in) throws Exception {
        List<String> args = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            Path p = dir.resolve("in" + i + ".npy");
            Npy.write(p, in.get(i));
            args.add("--input");
            args.add(p.toString());
        }
        return args;
    }

    @Test
    void theLoweredLayerCarriesTheUsersLinesAndRunsInTheCliAsInJava(@TempDir Path dir) throws Exception {
        int callLine = lineOf("moeCall(" + "(Tensor) a[0]"), hookLine = lineOf("withAfterGate(" + "logits ->"),
                lowerLine = lineOf(".lower(in.toArray())" + ".asTextWithLocations()");
        String user = "MoeDumpCliJourneyTest.java";
        List<HostArray> in = inputs();
        for (MoEMethods m : MoEMethods.values()) {
            Jit jit = Jit.jit("moe", layer(CFG.withMoeMethod(m), true));
            String text = jit.lower(in.toArray()).asTextWithLocations();
            Path file = dir.resolve(m.value() + ".mlir");
            Files.writeString(file, text);

            // every op names this file and the line that called the layer, or the hook's line for the hook's ops; the
            // function's return is made by lower()
            Pattern op = Pattern.compile("^\\s*(%[\\w:#]+ = |return |stablehlo\\.return )");
            Pattern loc = Pattern.compile("loc\\(\"([^\"]+)\":(\\d+):0\\)$");
            Map<String, Integer> hookOps = new TreeMap<>();
            int ops = 0;
            for (String l : text.split("\n")) {
                if (!op.matcher(l).find() || l.endsWith("({")) continue;          // an op with a region ends at its "})"
                ops++;
                Matcher lm = loc.matcher(l);
                assertThat(lm.find()).as("%s: op without a location: %s", m, l).isTrue();
                assertThat(lm.group(1)).as(l).isEqualTo(user);
                int line = Integer.parseInt(lm.group(2));
                assertThat(line).as("%s: %s", m, l).isEqualTo(l.trim().startsWith("return ") ? lowerLine : line == hookLine ? hookLine : callLine);
                if (line == hookLine) hookOps.merge(l.replaceAll(".*= (\"?stablehlo\\.\\w+).*", "$1"), 1, Integer::sum);
            }
            assertThat(ops).as(m + " ops").isGreaterThan(100);
            assertThat(hookOps).as(m + ": the hook's logits * 0.5").isEqualTo(Map.of("stablehlo.constant", 1, "stablehlo.broadcast_in_dim", 1, "stablehlo.multiply", 1));

            Out verified = cli("verify", file.toString());
            assertThat(verified.code()).as(verified.toString()).isZero();

            // inspect: the dots' FLOPs by hand, each at the user's line
            Out inspected = cli("inspect", "--json", file.toString());
            assertThat(inspected.code()).as(inspected.toString()).isZero();
            JsonNode f = new ObjectMapper().readTree(inspected.out()).get("functions").get(0);
            List<Long> dotFlops = new ArrayList<>();
            for (JsonNode t : f.get("top_ops")) {
                assertThat(t.get("location").asText()).as(m + " " + t).isIn(user + ":" + callLine + ":0", user + ":" + hookLine + ":0");
                if (t.get("op").asText().equals("stablehlo.dot_general") || t.get("op").asText().equals("chlo.ragged_dot")) dotFlops.add(t.get("flops").asLong());
            }
            // gate 2 N H E = 384; wi, wu: 2 (N k) H M = 1152 each; wd: 2 (N k) M H = 1152
            assertThat(dotFlops).as(m + " dot FLOPs\n" + inspected.out()).containsExactlyInAnyOrder(1152L, 1152L, 1152L, 384L);

            // run: the results in the function's order (the map's keys sorted), equal to the DSL's bit for bit
            List<String> run = new ArrayList<>(List.of("run", file.toString(), "-o", dir.resolve(m.value()).toString()));
            run.addAll(writeInputs(dir, in));
            Out ran = cli(run.toArray(String[]::new));
            assertThat(ran.code()).as(ran.toString()).isZero();
            Map<String, HostArray> want = new TreeMap<>(jit.callMap(in.toArray()));
            int i = 0;
            for (Map.Entry<String, HostArray> e : want.entrySet()) {
                HostArray got = Npy.read(dir.resolve(m.value()).resolve("result" + i++ + ".npy"));
                assertThat(got.type()).as(m + " " + e.getKey()).isEqualTo(e.getValue().type());
                assertThat(got.toDoubleArray()).as(m + " " + e.getKey()).containsExactly(e.getValue().toDoubleArray());
            }
            assertThat(i).isEqualTo(10);
        }
    }

    /**
     * The same layer (no hook) from a config file through {@code hlo4j moe run --dump} for each method: its files equal
     * the DSL's results, and the dump run by {@code hlo4j run} gives them again.
     */
    @Test
    void moeRunAndItsDumpEqualTheUsersLayer(@TempDir Path dir) throws Exception {
        List<HostArray> in = inputs();
        MoeConfig cfg = CFG.withRoutingStrategy(MoeRoutingStrategy.TOP_K);
        Path config = dir.resolve("moe.json");
        Files.writeString(config, MoeConfigJson.write(cfg));
        Path weights = Files.createDirectory(dir.resolve("w"));
        String[] names = {"x", "gate", "wi", "wu", "wd"};
        for (int i = 1; i < names.length; i++) Npy.write(weights.resolve(names[i] + ".npy"), in.get(i));
        Npy.write(dir.resolve("x.npy"), in.get(0));
        for (MoEMethods m : MoEMethods.values()) {
            Map<String, HostArray> want = Jit.jit("moe", layer(cfg.withMoeMethod(m), false)).callMap(in.toArray());
            Path out = dir.resolve("out-" + m.value()), dump = dir.resolve(m.value() + ".mlir");
            Out r = cli("moe", "run", "--config", config.toString(), "--weights", weights.toString(), "--input", dir.resolve("x.npy").toString(),
                    "-o", out.toString(), "--method", m.value(), "--dump", dump.toString());
            assertThat(r.code()).as(r.toString()).isZero();
            assertThat(r.out()).contains("moe run: " + m.value() + ", 6 tokens (B=2, S=3), E=4, k=2, top_k routing, float32");
            for (String n : List.of("output", "router_logits", "expert_loads", "selected_experts", "selected_weights")) {
                assertThat(Npy.read(out.resolve(n + ".npy")).toDoubleArray()).as(m + " " + n).containsExactly(want.get(n).toDoubleArray());
            }
            JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
            for (String n : List.of("load_balancing_loss", "router_z_loss", "expert_utilization", "routing_entropy")) {
                assertThat(metrics.get(n).asDouble()).as(m + " " + n).isEqualTo(want.get(n).getDouble(0));
            }

            // the dump's arguments are x, gate, wi, wu, wd; its results moe run's in asMap's order as docs/moe.md lists
            // it (router_probs left out)
            List<String> run = new ArrayList<>(List.of("run", dump.toString(), "-o", dir.resolve("rerun-" + m.value()).toString()));
            run.addAll(writeInputs(dir, in));
            Out ran = cli(run.toArray(String[]::new));
            assertThat(ran.code()).as(ran.toString()).isZero();
            List<String> order = List.of("output", "router_logits", "expert_loads", "selected_experts", "selected_weights",
                    "load_balancing_loss", "router_z_loss", "expert_utilization", "routing_entropy");
            assertThat(new TreeSet<>(want.keySet())).isEqualTo(new TreeSet<>(new ArrayList<>(order) {{ add("router_probs"); }}));
            assertThat(dir.resolve("rerun-" + m.value()).resolve("result" + order.size() + ".npy")).doesNotExist();
            for (int i = 0; i < order.size(); i++) {
                assertThat(Npy.read(dir.resolve("rerun-" + m.value()).resolve("result" + i + ".npy")).toDoubleArray()).as(m + " dump result " + order.get(i))
                        .containsExactly(want.get(order.get(i)).toDoubleArray());
            }
        }
    }
}
