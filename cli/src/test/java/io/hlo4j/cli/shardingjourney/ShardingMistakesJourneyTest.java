package io.hlo4j.cli.shardingjourney;

import static io.hlo4j.cli.shardingjourney.MoeBlock.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.hlo4j.dsl.DslException;
import io.hlo4j.dsl.shard.Mesh;
import io.hlo4j.dsl.shard.NamedSharding;
import io.hlo4j.dsl.shard.ShardedJit;
import io.hlo4j.dsl.shard.Sharding;
import io.hlo4j.dsl.Tensor;
import io.hlo4j.runtime.array.HostArray;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The mistakes a JAX/MaxText user makes when sharding the MoE block on the 5D mesh, each refused with a
 * {@link DslException} that names the spec, the dimension, the sizes and the user's own line (the exact line of this
 * file that made the mistake): never a stack trace from inside hlo4j, never silent replication. docs/sharding.md quotes these
 * messages.
 */
class ShardingMistakesJourneyTest {
    static final Mesh MESH = mesh(1, 2, 2, 2, 1);

    /** The line of the caller: the mistakes below sit on the same line as their {@code line()}. */
    static int line() { return StackWalker.getInstance().walk(s -> s.skip(1).findFirst().orElseThrow()).getLineNumber(); }

    static String at(int line) { return "ShardingMistakesJourneyTest.java:" + line + ":0"; }

    @Test
    void anAxisNameNotInTheMeshListsTheMeshAxes() {
        // MaxText's logical name "embed" instead of the mesh axis it maps to
        int l = line(); DslException e = assertThrows(DslException.class, () -> NamedSharding.of(MESH, "embed", "tp"));
        assertThat(e.detail()).isEqualTo("NamedSharding: spec P(embed, tp) names unknown mesh axis \"embed\" (mesh axes [dp, fsdp, ep, tp, sp])");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }

    @Test
    void anAxisUsedTwiceInOneSpecIsRefused() {
        int l = line(); DslException e = assertThrows(DslException.class, () -> NamedSharding.of(MESH, "fsdp", new String[] {"tp", "fsdp"}));
        assertThat(e.detail()).isEqualTo("PartitionSpec: mesh axis \"fsdp\" is used twice in P(fsdp, (tp, fsdp)) (an axis can split one dimension once)");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }

    @Test
    void aParameterDimNotDivisibleByItsAxesNamesTheParameterTheDimAndTheSizes() {
        // 4 experts over ep=8 (the 5D mesh dp=1, fsdp=1, ep=8, tp=1, sp=1)
        Mesh ep8 = mesh(1, 1, 8, 1, 1);
        Map<String, NamedSharding> s = paramShardings(ep8);
        ShardedJit jit = ShardedJit.jit("block", LOSS, ShardedJit.flat(s, batchSharding(ep8)));
        Map<String, HostArray> p = params(1);
        HostArray x = input(2);
        int l = line(); DslException e = assertThrows(DslException.class, () -> jit.lower(p, x));
        // the first parameter (by key) sharded over ep is wd [E, M, D] = P(ep, tp, fsdp); the message names it by its key
        assertThat(e.detail()).isEqualTo("NamedSharding: argument #3 (args[0]['wd'], f32[4, 16, 16]) of @block dimension 0 of size 4 is not "
                + "divisible by mesh axes (ep=8) with 8 shards (spec P(ep, tp, fsdp), shape [4, 16, 16])");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }

    @Test
    void aSpecWithMoreEntriesThanTheRankIsRefused() {
        Map<String, NamedSharding> s = new TreeMap<>(paramShardings(MESH));
        s.put("norm1", NamedSharding.of(MESH, "fsdp", "tp"));   // norm1 is [16]
        ShardedJit jit = ShardedJit.jit("block", LOSS, ShardedJit.flat(s, batchSharding(MESH)));
        int l = line(); DslException e = assertThrows(DslException.class, () -> jit.lower(params(1), input(2)));
        assertThat(e.detail()).isEqualTo("NamedSharding: argument #1 (args[0]['norm1'], f32[16]) of @block has shape [16] (rank 1) but spec "
                + "P(fsdp, tp) lists 2 dimensions");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }

    @Test
    void aConstraintInsideTheBlockThatDoesNotDivideNamesTheConstraintAndTheLine() {
        // q reshaped to [B, S, HEADS, HD] = [4, 8, 4, 4] and the 4 heads put over (ep, tp, fsdp) = 8 devices
        int[] at = new int[1];
        ShardedJit jit = ShardedJit.jit("c", a -> {
            Tensor q = ((Tensor) a[0]).reshape(B, S, HEADS, HD);
            at[0] = line(); return Sharding.withShardingConstraint(q, NamedSharding.of(MESH, null, null, new String[] {"ep", "tp", "fsdp"}, null));
        }, List.of(batchSharding(MESH)));
        DslException e = assertThrows(DslException.class, () -> jit.lower(input(2)));
        assertThat(e.op()).isEqualTo("withShardingConstraint");
        assertThat(e.detail()).contains("dimension 2 of size 4", "ep=2, tp=2, fsdp=2", "8 shards", "P(None, None, (ep, tp, fsdp), None)");
        assertThat(e.location().describe()).isEqualTo(at(at[0]));
    }

    @Test
    void aMeshWhoseSizeIsNotTheDeviceCountIsRefused() {
        int l = line(); DslException e = assertThrows(DslException.class, () -> Mesh.of(4, List.of("dp", "fsdp", "ep", "tp", "sp"), 1, 2, 2, 2, 1));
        assertThat(e.detail()).isEqualTo("mesh: mesh [\"dp\"=1, \"fsdp\"=2, \"ep\"=2, \"tp\"=2, \"sp\"=1] has 8 positions but there are 4 devices");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }

    @Test
    void twoMeshesOfDifferentSizesInOneProgramAreRefused() {
        Mesh small = mesh(1, 1, 2, 2, 1).named("small");
        // refused at the constraint that brings in the second mesh
        int l = line(); ShardedJit jit = ShardedJit.jit("two", a -> Sharding.withShardingConstraint(((Tensor) a[0]).tanh(), NamedSharding.of(small, "ep")),
                List.of(batchSharding(MESH)));
        DslException e = assertThrows(DslException.class, () -> jit.lower(input(2)));
        assertThat(e.detail()).contains("@small", "4 devices", "@mesh", "8");
        assertThat(e.location().describe()).isEqualTo(at(l));
    }
}
