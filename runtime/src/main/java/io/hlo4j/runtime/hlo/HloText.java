package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.pjrt.proto.ConvolutionDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.DotDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.GatherDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.OpMetadata;
import io.hlo4j.runtime.pjrt.proto.PaddingConfig;
import io.hlo4j.runtime.pjrt.proto.PrecisionConfig;
import io.hlo4j.runtime.pjrt.proto.ProgramShapeProto;
import io.hlo4j.runtime.pjrt.proto.RaggedDotDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.ScatterDimensionNumbers;
import io.hlo4j.runtime.pjrt.proto.Window;
import io.hlo4j.runtime.pjrt.proto.WindowDimension;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Prints an {@code HloModuleProto} in XLA's HLO text layout: the {@code HloModule} header with the entry
 * computation layout, then each computation (callees first, the entry marked {@code ENTRY}), one
 * instruction per line as {@code %name = shape opcode(operand shapes and names), attributes}, with the
 * attribute spellings of XLA's printer ({@code kind=kLoop, calls=%fused_computation},
 * {@code lhs_contracting_dims={1}}, {@code replica_groups={{0,1}}}, {@code metadata={...}}).
 * Fields this proto declaration does not read are not printed.
 */
public final class HloText {
    private HloText() {}

    static final Set<String> COLLECTIVES = Set.of("all-reduce", "all-reduce-start", "all-gather", "all-gather-start", "reduce-scatter",
            "all-to-all", "ragged-all-to-all", "collective-broadcast", "collective-permute", "collective-permute-start");

    public static String print(HloModuleProto m) {
        HloModuleView v = new HloModuleView(m);
        HloComputationProto entry = v.entry();
        StringBuilder b = new StringBuilder("HloModule ").append(m.getName());
        if (m.hasSchedule() && m.getSchedule().getSequencesCount() > 0) b.append(", is_scheduled=true");
        b.append(", entry_computation_layout={").append(HloShapes.programShape(entryLayout(v, entry))).append("}\n");
        for (HloComputationProto c : m.getComputationsList()) {
            b.append('\n');
            computation(b, v, c, c == entry);
        }
        return b.toString();
    }

    /** The module's host program shape when given, else the entry's parameters (by number) and root. */
    private static ProgramShapeProto entryLayout(HloModuleView v, HloComputationProto entry) {
        if (v.module.hasHostProgramShape() && v.module.getHostProgramShape().hasResult()) return v.module.getHostProgramShape();
        ProgramShapeProto.Builder p = ProgramShapeProto.newBuilder();
        parameters(entry).forEach(i -> p.addParameters(i.getShape()));
        return p.setResult(v.root(entry).getShape()).build();
    }

    private static List<HloInstructionProto> parameters(HloComputationProto c) {
        return c.getInstructionsList().stream().filter(i -> i.getOpcode().equals("parameter"))
                .sorted(Comparator.comparingLong(HloInstructionProto::getParameterNumber)).toList();
    }

    private static void computation(StringBuilder b, HloModuleView v, HloComputationProto c, boolean entry) {
        HloInstructionProto root = v.root(c);
        b.append(entry ? "ENTRY " : "").append('%').append(c.getName()).append(' ')
                .append(parameters(c).stream().map(p -> p.getName() + ": " + HloShapes.human(p.getShape())).collect(Collectors.joining(", ", "(", ")")))
                .append(" -> ").append(HloShapes.human(root.getShape())).append(" {\n");
        for (HloInstructionProto i : c.getInstructionsList()) {
            b.append("  ").append(i == root ? "ROOT " : "").append(instruction(v, c, i)).append('\n');
        }
        b.append("}\n");
    }

    /** One instruction without indentation: {@code %dot.1 = f32[2,2]{1,0} dot(f32[2,3]{1,0} %a, ...), ...}. */
    static String instruction(HloModuleView v, HloComputationProto c, HloInstructionProto i) {
        String op = i.getOpcode();
        String operands = switch (op) {
            case "parameter" -> String.valueOf(i.getParameterNumber());
            case "constant" -> HloLiterals.text(i.getLiteral());
            default -> i.getOperandIdsList().stream().map(id -> {
                HloInstructionProto o = v.instruction(c, id, i);
                return HloShapes.withLayout(o.getShape()) + " %" + o.getName();
            }).collect(Collectors.joining(", "));
        };
        List<String> attrs = new ArrayList<>();
        specific(attrs, i);
        called(attrs, v, i);
        if (i.hasSharding()) attrs.add("sharding=" + HloShardings.text(i.getSharding()));
        if (i.hasFrontendAttributes() && i.getFrontendAttributes().getMapCount() > 0)
            attrs.add("frontend_attributes={" + new TreeMap<>(i.getFrontendAttributes().getMapMap()).entrySet().stream()
                    .map(e -> e.getKey() + "=" + quote(e.getValue())).collect(Collectors.joining(",")) + "}");
        if (i.getControlPredecessorIdsCount() > 0)
            attrs.add("control-predecessors={" + i.getControlPredecessorIdsList().stream().map(id -> "%" + v.instruction(c, id, i).getName())
                    .collect(Collectors.joining(", ")) + "}");
        if (i.hasMetadata()) {
            String md = metadata(i.getMetadata());
            if (!md.isEmpty()) attrs.add("metadata={" + md + "}");
        }
        if (!i.getBackendConfig().isEmpty()) attrs.add("backend_config=" + backendConfig(i.getBackendConfig().toByteArray()));
        StringBuilder s = new StringBuilder("%").append(i.getName()).append(" = ").append(HloShapes.withLayout(i.getShape()))
                .append(' ').append(op).append('(').append(operands).append(')');
        for (String a : attrs) s.append(", ").append(a);
        return s.toString();
    }

    /** The opcode's own attributes, in the order XLA prints them. */
    private static void specific(List<String> a, HloInstructionProto i) {
        String op = i.getOpcode();
        boolean collective = COLLECTIVES.contains(op);
        switch (op) {
            case "get-tuple-element" -> a.add("index=" + i.getTupleIndex());
            case "iota" -> a.add("iota_dimension=" + (i.getDimensionsCount() > 0 ? i.getDimensions(0) : 0));
            case "fusion" -> a.add("kind=" + i.getFusionKind());
            case "slice" -> a.add("slice={" + i.getSliceDimensionsList().stream()
                    .map(d -> "[" + d.getStart() + ":" + d.getLimit() + (d.getStride() != 1 ? ":" + d.getStride() : "") + "]")
                    .collect(Collectors.joining(", ")) + "}");
            case "dynamic-slice" -> a.add("dynamic_slice_sizes=" + ints(i.getDynamicSliceSizesList()));
            case "pad" -> a.add("padding=" + padding(i.getPaddingConfig()));
            case "compare" -> {
                a.add("direction=" + i.getComparisonDirection());
                if (i.getComparisonType().equals("TOTALORDER")) a.add("type=TOTALORDER");
            }
            case "dot" -> {
                dot(a, i.getDotDimensionNumbers());
                precision(a, i.getPrecisionConfig());
            }
            case "ragged-dot" -> {
                RaggedDotDimensionNumbers r = i.getRaggedDotDimensionNumbers();
                dot(a, r.getDotDimensionNumbers());
                if (r.getLhsRaggedDimensionsCount() > 0) a.add("lhs_ragged_dims=" + ints(r.getLhsRaggedDimensionsList()));
                if (r.getRhsGroupDimensionsCount() > 0) a.add("rhs_group_dims=" + ints(r.getRhsGroupDimensionsList()));
                precision(a, i.getPrecisionConfig());
            }
            case "convolution" -> {
                if (i.hasWindow()) a.add("window={" + window(i.getWindow()) + "}");
                a.add("dim_labels=" + dimLabels(i.getConvolutionDimensionNumbers(), i.getShape().getDimensionsCount()));
                if (i.getFeatureGroupCount() > 1) a.add("feature_group_count=" + i.getFeatureGroupCount());
                if (i.getBatchGroupCount() > 1) a.add("batch_group_count=" + i.getBatchGroupCount());
                precision(a, i.getPrecisionConfig());
            }
            case "reduce-window", "select-and-scatter" -> a.add("window={" + window(i.getWindow()) + "}");
            case "gather" -> {
                gather(a, i.getGatherDimensionNumbers());
                a.add("slice_sizes=" + ints(i.getGatherSliceSizesList()));
                if (i.getIndicesAreSorted()) a.add("indices_are_sorted=true");
            }
            case "scatter" -> {
                scatter(a, i.getScatterDimensionNumbers());
                if (i.getIndicesAreSorted()) a.add("indices_are_sorted=true");
                if (i.getUniqueIndices()) a.add("unique_indices=true");
            }
            case "custom-call" -> a.add("custom_call_target=" + quote(i.getCustomCallTarget()));
            case "collective-permute", "collective-permute-start" -> {
                if (i.getChannelId() > 0) a.add("channel_id=" + i.getChannelId());
                a.add("source_target_pairs={" + i.getSourceTargetPairsList().stream().map(p -> "{" + p.getSource() + "," + p.getTarget() + "}")
                        .collect(Collectors.joining(",")) + "}");
            }
            default -> {
                if (collective) {
                    if (i.getChannelId() > 0) a.add("channel_id=" + i.getChannelId());
                    a.add("replica_groups=" + HloShardings.groups(i.getReplicaGroupsList(), i.hasCollectiveDeviceList() ? i.getCollectiveDeviceList() : null));
                    if (i.getDimensionsCount() > 0) a.add("dimensions=" + ints(i.getDimensionsList()));
                    if (i.getUseGlobalDeviceIds()) a.add("use_global_device_ids=true");
                } else if (i.getDimensionsCount() > 0) {
                    a.add("dimensions=" + ints(i.getDimensionsList()));
                }
                if (op.equals("sort") && i.getIsStable()) a.add("is_stable=true");
            }
        }
    }

    /** Called computations, named as XLA names them per opcode. */
    private static void called(List<String> a, HloModuleView v, HloInstructionProto i) {
        List<Long> ids = i.getCalledComputationIdsList();
        if (ids.isEmpty()) return;
        Function<Integer, String> name = k -> "%" + v.computation(ids.get(k), i).getName();
        switch (i.getOpcode()) {
            case "fusion", "async-start" -> a.add("calls=" + name.apply(0));
            case "while" -> {   // XLA keeps the body first, the condition second
                if (ids.size() != 2) throw new IllegalArgumentException("HLO while %" + i.getName() + " calls " + ids.size() + " computations, not 2");
                a.add("condition=" + name.apply(1));
                a.add("body=" + name.apply(0));
            }
            case "select-and-scatter" -> {
                a.add("select=" + name.apply(0));
                if (ids.size() > 1) a.add("scatter=" + name.apply(1));
            }
            case "conditional" -> a.add("branch_computations={" + java.util.stream.IntStream.range(0, ids.size()).mapToObj(name::apply)
                    .collect(Collectors.joining(", ")) + "}");
            case "custom-call" -> a.add("called_computations={" + java.util.stream.IntStream.range(0, ids.size()).mapToObj(name::apply)
                    .collect(Collectors.joining(", ")) + "}");
            default -> a.add("to_apply=" + name.apply(0));
        }
    }

    private static void dot(List<String> a, DotDimensionNumbers d) {
        if (d.getLhsBatchDimensionsCount() > 0) a.add("lhs_batch_dims=" + ints(d.getLhsBatchDimensionsList()));
        a.add("lhs_contracting_dims=" + ints(d.getLhsContractingDimensionsList()));
        if (d.getRhsBatchDimensionsCount() > 0) a.add("rhs_batch_dims=" + ints(d.getRhsBatchDimensionsList()));
        a.add("rhs_contracting_dims=" + ints(d.getRhsContractingDimensionsList()));
    }

    private static void precision(List<String> a, PrecisionConfig p) {
        if (p.getOperandPrecisionList().stream().allMatch(x -> x == PrecisionConfig.Precision.DEFAULT)) return;
        a.add("operand_precision={" + p.getOperandPrecisionList().stream().map(x -> x.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(",")) + "}");
    }

    private static void gather(List<String> a, GatherDimensionNumbers g) {
        a.add("offset_dims=" + ints(g.getOffsetDimsList()));
        a.add("collapsed_slice_dims=" + ints(g.getCollapsedSliceDimsList()));
        a.add("start_index_map=" + ints(g.getStartIndexMapList()));
        if (g.getOperandBatchingDimsCount() > 0) a.add("operand_batching_dims=" + ints(g.getOperandBatchingDimsList()));
        if (g.getStartIndicesBatchingDimsCount() > 0) a.add("start_indices_batching_dims=" + ints(g.getStartIndicesBatchingDimsList()));
        a.add("index_vector_dim=" + g.getIndexVectorDim());
    }

    private static void scatter(List<String> a, ScatterDimensionNumbers s) {
        a.add("update_window_dims=" + ints(s.getUpdateWindowDimsList()));
        a.add("inserted_window_dims=" + ints(s.getInsertedWindowDimsList()));
        a.add("scatter_dims_to_operand_dims=" + ints(s.getScatterDimsToOperandDimsList()));
        if (s.getInputBatchingDimsCount() > 0) a.add("input_batching_dims=" + ints(s.getInputBatchingDimsList()));
        if (s.getScatterIndicesBatchingDimsCount() > 0) a.add("scatter_indices_batching_dims=" + ints(s.getScatterIndicesBatchingDimsList()));
        a.add("index_vector_dim=" + s.getIndexVectorDim());
    }

    /** {@code size=3x3 stride=2x2 pad=1_1x1_1 lhs_dilate=.. rhs_dilate=.. rhs_reversal=..}, defaults left out. */
    static String window(Window w) {
        List<WindowDimension> ds = w.getDimensionsList();
        List<String> parts = new ArrayList<>();
        parts.add("size=" + join(ds, d -> String.valueOf(d.getSize())));
        if (ds.stream().anyMatch(d -> d.getStride() != 1)) parts.add("stride=" + join(ds, d -> String.valueOf(d.getStride())));
        if (ds.stream().anyMatch(d -> d.getPaddingLow() != 0 || d.getPaddingHigh() != 0))
            parts.add("pad=" + join(ds, d -> d.getPaddingLow() + "_" + d.getPaddingHigh()));
        if (ds.stream().anyMatch(d -> d.getBaseDilation() != 1)) parts.add("lhs_dilate=" + join(ds, d -> String.valueOf(d.getBaseDilation())));
        if (ds.stream().anyMatch(d -> d.getWindowDilation() != 1)) parts.add("rhs_dilate=" + join(ds, d -> String.valueOf(d.getWindowDilation())));
        if (ds.stream().anyMatch(WindowDimension::getWindowReversal))
            parts.add("rhs_reversal=" + join(ds, d -> d.getWindowReversal() ? "1" : "0"));
        return String.join(" ", parts);
    }

    private static String join(List<WindowDimension> ds, Function<WindowDimension, String> f) {
        return ds.stream().map(f).collect(Collectors.joining("x"));
    }

    /** {@code 0_0x1_1}, or {@code 0_0_1x1_1_0} when some dimension has interior padding. */
    static String padding(PaddingConfig p) {
        boolean interior = p.getDimensionsList().stream().anyMatch(d -> d.getInteriorPadding() != 0);
        return p.getDimensionsList().stream().map(d -> d.getEdgePaddingLow() + "_" + d.getEdgePaddingHigh()
                + (interior ? "_" + d.getInteriorPadding() : "")).collect(Collectors.joining("x"));
    }

    /** {@code b01f_01io->b01f}: batch/feature letters and spatial indices at each dimension's position. */
    static String dimLabels(ConvolutionDimensionNumbers c, int rank) {
        char[] in = new char[rank], k = new char[rank], out = new char[rank];
        in[(int) c.getInputBatchDimension()] = 'b';
        in[(int) c.getInputFeatureDimension()] = 'f';
        k[(int) c.getKernelInputFeatureDimension()] = 'i';
        k[(int) c.getKernelOutputFeatureDimension()] = 'o';
        out[(int) c.getOutputBatchDimension()] = 'b';
        out[(int) c.getOutputFeatureDimension()] = 'f';
        for (int s = 0; s < c.getInputSpatialDimensionsCount(); s++) {
            in[(int) c.getInputSpatialDimensions(s)] = Character.forDigit(s, 36);
            k[(int) c.getKernelSpatialDimensions(s)] = Character.forDigit(s, 36);
            out[(int) c.getOutputSpatialDimensions(s)] = Character.forDigit(s, 36);
        }
        return new String(in) + "_" + new String(k) + "->" + new String(out);
    }

    private static String metadata(OpMetadata m) {
        List<String> p = new ArrayList<>();
        if (!m.getOpType().isEmpty()) p.add("op_type=" + quote(m.getOpType()));
        if (!m.getOpName().isEmpty()) p.add("op_name=" + quote(m.getOpName()));
        if (!m.getSourceFile().isEmpty()) p.add("source_file=" + quote(m.getSourceFile()));
        if (m.getSourceLine() != 0) p.add("source_line=" + m.getSourceLine());
        if (m.getSourceEndLine() != 0) p.add("source_end_line=" + m.getSourceEndLine());
        if (m.getSourceColumn() != 0) p.add("source_column=" + m.getSourceColumn());
        if (m.getSourceEndColumn() != 0) p.add("source_end_column=" + m.getSourceEndColumn());
        if (!m.getDeduplicatedName().isEmpty()) p.add("deduplicated_name=" + quote(m.getDeduplicatedName()));
        if (!m.getSchedulingName().isEmpty()) p.add("scheduling_name=" + quote(m.getSchedulingName()));
        if (m.getStackFrameId() != 0) p.add("stack_frame_id=" + m.getStackFrameId());
        return String.join(" ", p);
    }

    /** GPU backends store JSON: printed as is; anything else is quoted. */
    private static String backendConfig(byte[] bytes) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            return s.startsWith("{") ? s : quote(s);
        } catch (CharacterCodingException e) {
            return quote(new String(bytes, StandardCharsets.ISO_8859_1));
        }
    }

    static String ints(List<? extends Number> xs) { return HloShardings.ints(xs, "{", "}"); }

    /** A C-escaped string in double quotes. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                default -> {
                    if (ch < 0x20) b.append(String.format(Locale.ROOT, "\\%03o", (int) ch));
                    else b.append(ch);
                }
            }
        }
        return b.append('"').toString();
    }
}
