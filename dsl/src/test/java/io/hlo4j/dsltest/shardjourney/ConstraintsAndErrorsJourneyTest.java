package io.hlo4j.dsltest.shardjourney;

import static io.hlo4j.dsltest.shardjourney.TransformerBlock.*;
import static io.hlo4j.runtime.testing.RelativeError.relErr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.DType;
import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.Nn;
import io.hlo4j.dsl.Spec;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.dsl.jit.Jit;
import io.hlo4j.dsl.jit.TracedFunction;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.PartitionSpec;
import io.hlo4j.dsl.shard.ShardMap;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.Sharding;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

/**
 * {@code with_sharding_constraint} in the middle of the block, and the mistakes a JAX user makes with shardings: a
 * batch that does not split evenly, a constraint whose axis does not divide a dim, a misspelt axis. docs/sharding.md
 * promises each is refused (nothing padded, nothing silently replicated) with the tensor, the dimension, its size, the
 * axes with their sizes and the user's line. Oracle for the numbers: the block on one device.
 */
class ConstraintsAndErrorsJourneyTest {
    static final Mesh MESH = mesh();

    /** The block with the attention's input constrained to P(data, None, model) and the MLP's hidden to P(data, None, model). */
    @SuppressWarnings("unchecked")
    static final TracedFunction CONSTRAINED = a -> {
        Map<String, Tensor> p = (Map<String, Tensor>) a[0];
        Tensor x = Sharding.withShardingConstraint((Tensor) a[1], NamedSharding.of(MESH, "data", null, "model"));
        return apply(p, x);
    };

    @Test
    @SuppressWarnings("unchecked")
    void aConstraintMidFunctionKeepsTheNumbersOnEightDevices() {
        Map<String, HostArray> params = params(5, DType.F32);
        HostArray x = input(6, DType.F32);
        HostArray want = Jit.jit("block", a -> apply((Map<String, Tensor>) a[0], (Tensor) a[1])).call1(params, x);
        ShardedJit jit = ShardedJit.jit("block", CONSTRAINED, ShardedJit.flat(weightShardings(MESH), batchSharding(MESH)),
                List.of(batchSharding(MESH)));
        String text = jit.lower(params, x).asText();
        assertThat(text).contains("sdy.sharding_constraint %arg8 <@mesh, [{\"data\"}, {}, {\"model\"}]> : tensor<4x8x16xf32>");
        assertThat(relErr((HostArray) jit.callSimulated(params, x).results(), want)).isLessThan(1e-5);
        // ShardedJit.call runs the global program on the interpreter: the constraint is the identity there
        assertThat(relErr((HostArray) jit.call(params, x), want)).isLessThan(1e-6);
    }

    @Test
    void anUnevenBatchIsRefusedNamingTheArgumentDimensionAndAxis() {
        // jax.jit refuses this too ("... should be divisible by 2, but it is equal to 5")
        ShardedJit jit = ShardedJit.jit("f", a -> Nn.relu((Tensor) a[0]), List.of(NamedSharding.of(MESH, "data", null)));
        assertThatThrownBy(() -> jit.lower(Spec.of(DType.F32, 5, 8)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("argument #0").hasMessageContaining("dimension 0 of size 5")
                .hasMessageContaining("data=2").hasMessageContaining("ConstraintsAndErrorsJourneyTest.java:");
        // and an uneven result sharding, naming the result
        ShardedJit out = ShardedJit.jit("g", a -> ((Tensor) a[0]).sum(1), List.of(NamedSharding.of(MESH, "data", null)),
                List.of(NamedSharding.of(MESH, "model")));
        assertThatThrownBy(() -> out.lower(Spec.of(DType.F32, 6, 4)))
                .isInstanceOf(DslException.class)
                .hasMessageContaining("result #0").hasMessageContaining("dimension 0 of size 6").hasMessageContaining("model=4")
                .hasMessageContaining("ConstraintsAndErrorsJourneyTest.java:");
    }

    @Test
    void aConstraintWhoseAxisDoesNotDivideADimNamesTheOpTheDimTheAxisAndTheLine() {
        int line = 0;
        ShardedJit jit = ShardedJit.jit("f", a -> {
            Tensor h = ((Tensor) a[0]).tanh();
            return Sharding.withShardingConstraint(h, NamedSharding.of(MESH, null, "model"));   // 6 columns over model=4
        }, List.of(NamedSharding.of(MESH, "data", null)));
        line = lineOf("return Sharding.withShardingConstraint(h, NamedSharding.of(MESH, null, \"model\"))");
        DslException e = org.junit.jupiter.api.Assertions.assertThrows(DslException.class, () -> jit.lower(Spec.of(DType.F32, 4, 6)));
        assertThat(e.getMessage()).contains("withShardingConstraint", "dimension 1 of size 6", "model=4",
                "ConstraintsAndErrorsJourneyTest.java:" + line + ":0");
        assertThat(e.op()).isEqualTo("withShardingConstraint");
    }

    @Test
    void aShardMapSpecThatDoesNotDivideIsRefusedByName() {
        ShardedJit jit = ShardedJit.jit("f", a -> ShardMap.shardMap(MESH, PartitionSpec.of("model"), PartitionSpec.of("model"),
                b -> b.mul(2.0), (Tensor) a[0]), List.of(NamedSharding.of(MESH, (Object) null)));
        DslException e = org.junit.jupiter.api.Assertions.assertThrows(DslException.class, () -> jit.lower(Spec.of(DType.F32, 6)));
        assertThat(e.getMessage()).contains("shardMap", "shard_map argument #0", "dimension 0 of size 6", "model=4",
                "ConstraintsAndErrorsJourneyTest.java:");
        assertThat(e.op()).isEqualTo("shardMap");
    }

    @Test
    void aMisspeltAxisListsTheMeshAxes() {
        // a user coming from the 5D mesh of the docs writes "dp"
        DslException e = org.junit.jupiter.api.Assertions.assertThrows(DslException.class, () -> NamedSharding.of(MESH, "dp", null));
        assertThat(e.getMessage()).contains("\"dp\"", "[data, model]", "ConstraintsAndErrorsJourneyTest.java:");
    }

    @Test
    void aSecondMeshUnderTheSameNameIsRefusedNamingBoth() {
        // the transposed mesh (model=4, data=2) also defaults to the symbol @mesh
        Mesh other = Mesh.of(8, List.of("model", "data"), 4, 2);
        ShardedJit jit = ShardedJit.jit("f", a -> Sharding.withShardingConstraint(((Tensor) a[0]).tanh(), NamedSharding.of(other, "model")),
                List.of(NamedSharding.of(MESH, "data")));
        DslException e = org.junit.jupiter.api.Assertions.assertThrows(DslException.class, () -> jit.lower(Spec.of(DType.F32, 8)));
        assertThat(e.getMessage()).contains("two different meshes are named @mesh", "Mesh.named", "ConstraintsAndErrorsJourneyTest.java:");
        // named apart, both meshes are declared and the program runs on the 8 devices like one device
        ShardedJit named = ShardedJit.jit("f", a -> Sharding.withShardingConstraint(((Tensor) a[0]).tanh(), NamedSharding.of(other.named("mesh_t"), "model")),
                List.of(NamedSharding.of(MESH, "data")));
        HostArray x = HostArray.fromDoubles(Spec.of(DType.F32, 8).tensorType(), 0, 0.5, 1, 1.5, -2, -2.5, 3, 3.5);
        assertThat(named.lower(x).asText()).contains("sdy.mesh @mesh = <[\"data\"=2, \"model\"=4]>", "sdy.mesh @mesh_t = <[\"model\"=4, \"data\"=2]>");
        double[] got = ((HostArray) named.callSimulated(x).results()).toDoubleArray();
        for (int i = 0; i < 8; i++) assertThat(got[i]).isCloseTo(Math.tanh(x.getDouble(i)), org.assertj.core.data.Offset.offset(1e-6));
    }

    /** The 1-based line of the first line of this file containing {@code needle}. */
    static int lineOf(String needle) {
        try {
            List<String> lines = java.nio.file.Files.readAllLines(java.nio.file.Path.of(
                    "src/test/java/io/hlo4j/dsltest/shardjourney/ConstraintsAndErrorsJourneyTest.java"));
            for (int i = 0; i < lines.size(); i++) if (lines.get(i).contains(needle) && !lines.get(i).contains("lineOf(")) return i + 1;
        } catch (java.io.IOException ex) {
            throw new java.io.UncheckedIOException(ex);
        }
        throw new AssertionError("no line holds " + needle);
    }
}
