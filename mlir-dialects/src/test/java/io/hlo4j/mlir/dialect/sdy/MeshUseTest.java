package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.ir.Module;
import io.hlo4j.mlir.ir.SymbolTable;
import io.hlo4j.mlir.parse.MlirParser;
import io.hlo4j.mlir.testing.ReferenceShardMap;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link MeshUse}: which uses of a mesh make a module an annotated global program, and which module only declares one. */
class MeshUseTest {
    private static final String MESH = "  sdy.mesh @mesh = <[\"x\"=2]>\n  sdy.mesh @other = <[\"y\"=4]>\n";

    private static Module parse(String meshes, String args, String body) {
        return MlirParser.parseModule("module @m {\n" + meshes
                + "  func.func @main(%a: tensor<4xf32>" + args + ") -> tensor<4xf32> {\n" + body
                + "    return %0 : tensor<4xf32>\n  }\n}\n", "m.mlir");
    }

    private static final String ADD = "    %0 = stablehlo.add %a, %a : tensor<4xf32>\n";

    @Test void aMeshNothingUsesIsAPerDeviceProgram() {
        MeshUse u = MeshUse.of(parse(MESH, "", ADD));
        assertThat(SymbolTable.symbolName(u.firstMesh())).isEqualTo("mesh");
        assertThat(u.used()).isFalse();
        assertThat(u.meshUnused()).isTrue();
        assertThat(u.annotatedGlobal()).isFalse();
    }

    @Test void noMeshIsNeither() {
        MeshUse u = MeshUse.of(parse("", "", ADD));
        assertThat(u.firstMesh()).isNull();
        assertThat(u.meshUnused()).isFalse();
        assertThat(u.annotatedGlobal()).isFalse();
    }

    @Test void anArgumentShardingUsesIt() {
        Module m = parse(MESH, " {sdy.sharding = #sdy.sharding<@mesh, [{\"x\"}]>}", ADD);
        assertThat(MeshUse.of(m).annotatedGlobal()).isTrue();
        assertThat(MeshUse.shardsSignature(m.entryFunction())).isTrue();
    }

    @Test void anOpShardingUsesItButLeavesTheSignatureUnsharded() {
        Module m = parse(MESH, "", "    %0 = stablehlo.add %a, %a {sdy.sharding = #sdy.sharding_per_value<[<@other, [{\"y\"}]>]>} : tensor<4xf32>\n");
        assertThat(MeshUse.of(m).annotatedGlobal()).isTrue();
        assertThat(MeshUse.shardsSignature(m.entryFunction())).isFalse();
    }

    @Test void anSdyOpUsesIt() {
        Module m = parse(MESH, "", "    %0 = sdy.sharding_constraint %a <@mesh, [{}]> : tensor<4xf32>\n");
        assertThat(MeshUse.of(m).annotatedGlobal()).isTrue();
        assertThat(MeshUse.of(MlirParser.parseModule(ReferenceShardMap.ALL_TO_ALL, "a2a.mlir")).annotatedGlobal()).isTrue();
    }

    @Test void aResultShardingUsesIt() {
        Module m = MlirParser.parseModule("module @m {\n" + MESH
                + "  func.func @main(%a: tensor<4xf32>) -> (tensor<4xf32> {sdy.sharding = #sdy.sharding<@mesh, [{}]>}) {\n"
                + "    return %a : tensor<4xf32>\n  }\n}\n", "m.mlir");
        assertThat(MeshUse.of(m).annotatedGlobal()).isTrue();
        assertThat(MeshUse.shardsSignature(m.entryFunction())).isTrue();
    }

    @Test void anInlineMeshIsAUseWithoutADeclaration() {
        Module m = parse("", " {sdy.sharding = #sdy.sharding<mesh<[\"x\"=2]>, [{\"x\"}]>}", ADD);
        MeshUse u = MeshUse.of(m);
        assertThat(u.used()).isTrue();
        assertThat(u.firstMesh()).isNull();
        assertThat(u.annotatedGlobal()).isFalse();
        assertThat(u.meshUnused()).isFalse();
    }

    @Test void otherArgumentAttributesAreNoUse() {
        Module m = parse(MESH, " {jax.result_info = \"x\"}", ADD);
        assertThat(MeshUse.of(m).meshUnused()).isTrue();
        assertThat(MeshUse.shardsSignature(m.entryFunction())).isFalse();
    }
}
