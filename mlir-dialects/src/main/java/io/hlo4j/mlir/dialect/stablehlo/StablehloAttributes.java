package io.hlo4j.mlir.dialect.stablehlo;

import io.hlo4j.mlir.dialect.stablehlo.attr.ChannelHandle;
import io.hlo4j.mlir.dialect.stablehlo.attr.ConvDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotAlgorithm;
import io.hlo4j.mlir.dialect.stablehlo.attr.DotDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.EnumAttr;
import io.hlo4j.mlir.dialect.stablehlo.attr.FutureType;
import io.hlo4j.mlir.dialect.stablehlo.attr.GatherDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.MeshAttrs;
import io.hlo4j.mlir.dialect.stablehlo.attr.OutputOperandAlias;
import io.hlo4j.mlir.dialect.stablehlo.attr.ResultAccuracy;
import io.hlo4j.mlir.dialect.stablehlo.attr.ScatterDimensionNumbers;
import io.hlo4j.mlir.dialect.stablehlo.attr.TypeExtensions;
import io.hlo4j.mlir.registry.AttributeRegistry;
import io.hlo4j.mlir.types.TokenType;

/** Parsers for every StableHLO attribute and type; the records print themselves. */
final class StablehloAttributes {
    private StablehloAttributes() {}

    static void register(AttributeRegistry registry) {
        registry.registerAttribute("stablehlo", EnumAttr::parseGeneric);
        registry.registerAttribute("stablehlo.result_accuracy_mode", ResultAccuracy::parseMode);
        registry.registerAttribute("stablehlo.result_accuracy", ResultAccuracy::parse);
        registry.registerAttribute("stablehlo.dot", DotDimensionNumbers::parse);
        registry.registerAttribute("stablehlo.dot_algorithm", DotAlgorithm::parse);
        registry.registerAttribute("stablehlo.gather", GatherDimensionNumbers::parse);
        registry.registerAttribute("stablehlo.scatter", ScatterDimensionNumbers::parse);
        registry.registerAttribute("stablehlo.conv", ConvDimensionNumbers::parse);
        registry.registerAttribute("stablehlo.channel_handle", ChannelHandle::parse);
        registry.registerAttribute("stablehlo.output_operand_alias", OutputOperandAlias::parse);
        registry.registerAttribute("stablehlo.bounds", TypeExtensions::parseBounds);
        registry.registerAttribute("stablehlo.type_extensions", TypeExtensions::parseTypeExtensions);
        registry.registerAttribute("stablehlo.replica_group_mesh_axes", MeshAttrs::parseReplicaGroupMeshAxes);
        registry.registerAttribute("stablehlo.mesh", MeshAttrs::parseMesh);
        registry.registerAttribute("stablehlo.mesh_axis", MeshAttrs::parseMeshAxis);
        registry.registerAttribute("stablehlo.axis_ref", MeshAttrs::parseAxisRef);
        registry.registerType("stablehlo.token", p -> TokenType.INSTANCE);
        registry.registerType("stablehlo.future", FutureType::parse);
    }
}
