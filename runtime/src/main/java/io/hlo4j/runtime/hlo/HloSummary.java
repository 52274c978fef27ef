package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the compiler made of a program, for {@code inspect}/{@code compile}: its fusions (count per kind,
 * each with the computation it calls and how many instructions that holds) and its collectives (opcode,
 * replica groups, channel, group size and the bytes the busiest device receives, by the same definition as
 * {@code inspect} of StableHLO and the run log: {@link HloCollectiveBytes}).
 */
public record HloSummary(String module, String entry, int computations, int instructions, List<Fusion> fusions,
                         List<Collective> collectives) {

    /** {@code backendKind}: for GPU fusions, the {@code "kind"} of their backend config (e.g. {@code __triton_gemm}), else "". */
    public record Fusion(String computation, String name, String kind, String calls, int fusedInstructions, String backendKind) {}

    /**
     * One collective instruction. {@code groupSize}: devices per group (0 for collective-permute, whose pairs say who
     * receives; -1 when unknown). {@code bytesReceived}: what the busiest device receives ({@code -1} when the group
     * size is unknown, {@code unknownWhy} then saying why); {@code bound}: only an upper bound (ragged-all-to-all);
     * {@code bufferBytes}: the larger of one device's operand and result bytes (the whole gathered array of an
     * all-gather), the buffer it holds, as {@code inspect} of StableHLO counts it.
     */
    public record Collective(String computation, String name, String opcode, String shape, String replicaGroups,
                             List<List<Long>> groups, long channelId, long groupSize, long bytesReceived, boolean bound,
                             String unknownWhy, long bufferBytes) {}

    /** The summary without the process counts: a collective whose group needs them has unknown received bytes. */
    public static HloSummary of(HloModuleProto m) { return of(m, 0, 0); }

    /**
     * The summary of a program compiled for {@code replicas} x {@code partitions} devices (0 when not known), which
     * the group size of a collective with empty replica_groups or cross-replica-and-partition groups needs.
     */
    public static HloSummary of(HloModuleProto m, long replicas, long partitions) {
        HloModuleView v = new HloModuleView(m);
        List<Fusion> fusions = new ArrayList<>();
        List<Collective> collectives = new ArrayList<>();
        int n = 0;
        for (HloComputationProto c : m.getComputationsList()) {
            n += c.getInstructionsCount();
            for (HloInstructionProto i : c.getInstructionsList()) {
                if (i.getOpcode().equals("fusion")) {
                    HloComputationProto called = i.getCalledComputationIdsCount() > 0 ? v.computation(i.getCalledComputationIds(0), i) : null;
                    fusions.add(new Fusion(c.getName(), i.getName(), i.getFusionKind(), called == null ? "" : called.getName(),
                            called == null ? 0 : called.getInstructionsCount(), backendKind(i)));
                } else if (HloText.COLLECTIVES.contains(i.getOpcode())) {
                    List<io.hlo4j.runtime.pjrt.proto.ShapeProto> operands = new ArrayList<>();
                    for (long id : i.getOperandIdsList()) operands.add(v.instruction(c, id, i).getShape());
                    boolean permute = i.getOpcode().startsWith("collective-permute");
                    String groups = permute
                            ? "{" + i.getSourceTargetPairsList().stream().map(p -> "{" + p.getSource() + "," + p.getTarget() + "}")
                                    .collect(java.util.stream.Collectors.joining(",")) + "}"
                            : HloShardings.groups(i.getReplicaGroupsList(), i.hasCollectiveDeviceList() ? i.getCollectiveDeviceList() : null);
                    List<List<Long>> expanded = permute
                            ? i.getSourceTargetPairsList().stream().map(p -> List.of(p.getSource(), p.getTarget())).toList()
                            : HloShardings.expand(i.getReplicaGroupsList(), i.hasCollectiveDeviceList() ? i.getCollectiveDeviceList() : null);
                    HloCollectiveBytes.Received r = HloCollectiveBytes.of(i, operands, expanded, replicas, partitions);
                    collectives.add(new Collective(c.getName(), i.getName(), i.getOpcode(), HloShapes.withLayout(i.getShape()), groups,
                            expanded, i.getChannelId(), r.groupSize(), r.bytes(), r.bound(), r.unknownWhy(), r.buffer()));
                }
            }
        }
        return new HloSummary(m.getName(), v.entry().getName(), m.getComputationsCount(), n, List.copyOf(fusions), List.copyOf(collectives));
    }

    private static final java.util.regex.Pattern KIND = java.util.regex.Pattern.compile("\"kind\"\\s*:\\s*\"([^\"]*)\"");

    /** XLA:GPU writes {"fusion_backend_config":{"kind":"__triton_gemm",...}} on custom fusions. */
    static String backendKind(HloInstructionProto i) {
        if (i.getBackendConfig().isEmpty()) return "";
        java.util.regex.Matcher m = KIND.matcher(i.getBackendConfig().toStringUtf8());
        return m.find() ? m.group(1) : "";
    }

    /** Fusion count per kind ({@code kLoop}, {@code kInput}, {@code kOutput}, {@code kCustom}), sorted by kind. */
    public Map<String, Integer> fusionKinds() {
        Map<String, Integer> m = new TreeMap<>();
        for (Fusion f : fusions) m.merge(f.kind(), 1, Integer::sum);
        return m;
    }

    /** Collective count per opcode, in first-seen order. */
    public Map<String, Integer> collectiveOps() {
        Map<String, Integer> m = new LinkedHashMap<>();
        for (Collective c : collectives) m.merge(c.opcode(), 1, Integer::sum);
        return m;
    }

    /** A few lines for a terminal. */
    public String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "optimized module %s: entry %%%s, %d computations, %d instructions%n", module, entry, computations, instructions));
        b.append("fusions: ").append(fusions.size());
        if (!fusions.isEmpty()) b.append(" ").append(fusionKinds());
        b.append('\n');
        for (Fusion f : fusions)
            b.append(String.format(Locale.ROOT, "  %%%s %s%s calls %%%s (%d instructions)%n", f.name(), f.kind(),
                    f.backendKind().isEmpty() ? "" : " " + f.backendKind(), f.calls(), f.fusedInstructions()));
        b.append("collectives: ").append(collectives.size());
        if (!collectives.isEmpty()) b.append(" ").append(collectiveOps());
        b.append('\n');
        for (Collective c : collectives)
            b.append(String.format(Locale.ROOT, "  %%%s %s %s groups=%s%s: %s%n", c.name(), c.opcode(), c.shape(), c.replicaGroups(),
                    c.channelId() > 0 ? " channel_id=" + c.channelId() : "", received(c)));
        return b.toString();
    }

    /** {@code group size G, N B received per device (buffer M B)}, the words {@code inspect} of StableHLO uses. */
    static String received(Collective c) {
        String buffer = " (buffer " + c.bufferBytes() + " B)";
        String group = c.groupSize() > 0 ? "group size " + c.groupSize() + ", " : "";
        if (c.bytesReceived() < 0) return "received bytes unknown (" + c.unknownWhy() + ")" + buffer;
        return group + (c.bound() ? "at most " : "") + c.bytesReceived() + " B received per device" + buffer;
    }
}
