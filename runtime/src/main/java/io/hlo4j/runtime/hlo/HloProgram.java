package io.hlo4j.runtime.hlo;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hlo4j.runtime.hlo.proto.HloModuleConfigProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;

/**
 * An optimized program as a plugin hands it back: decoded into an {@code HloModuleProto}, printable as HLO text, with
 * the config it came with ({@code hlo_with_config}; null for {@code hlo}, which carries none). The config is kept whole:
 * hlo4j's proto names only {@code replica_count} and {@code num_partitions}, and protobuf keeps every other field
 * (entry_computation_layout, seed, use_spmd_partitioning...) as unknown fields, so writing it back loses nothing.
 */
public record HloProgram(String format, HloModuleProto module, HloModuleConfigProto config) {

    /**
     * Decodes {@code code} by its PJRT program format: {@code hlo} (a serialized HloModuleProto) or
     * {@code hlo_with_config} (HloModuleProtoWithConfig, field 1 the module). Other formats and
     * malformed bytes are refused by name.
     */
    public static HloProgram decode(String format, byte[] code) {
        try {
            HloModuleConfigProto config = null;
            HloModuleProto m = switch (format) {
                case "hlo" -> HloModuleProto.parseFrom(code);
                case "hlo_with_config" -> {
                    HloModuleProtoWithConfig w = HloModuleProtoWithConfig.parseFrom(code);
                    if (!w.hasHloModule())
                        throw new IllegalArgumentException("optimized program (format hlo_with_config, " + code.length
                                + " bytes) has no hlo_module (field 1)");
                    config = w.getConfig();   // the default (empty) config when field 2 is absent
                    yield w.getHloModule();
                }
                default -> throw new IllegalArgumentException("optimized program has format '" + format
                        + "'; hlo4j reads 'hlo' and 'hlo_with_config'");
            };
            if (m.getComputationsCount() == 0)
                throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length + " bytes) holds module '"
                        + m.getName() + "' with no computations");
            return new HloProgram(format, m, config);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length
                    + " bytes) is not a valid HloModuleProto: " + e.getMessage(), e);
        }
    }

    /**
     * Device counts, each with where it came from; 0 where nothing states it. {@code from} names the source of both, or of
     * each when they differ; null when neither is known.
     */
    public record Counts(long replicas, long partitions, String from) {
        public static final Counts NONE = new Counts(0, 0, null);

        /**
         * The one rule for a program's device counts, used by {@code compile} and {@code inspect FILE.pb} alike: each count
         * is the config's where it states one (&gt; 0), else the module's static device_assignment's (replica_count,
         * computation_count), else {@code known}'s (what the caller knows from elsewhere: compile's own 1 replica x the
         * partitions it compiled; {@link #NONE} for a file read on its own).
         */
        public static Counts of(HloModuleConfigProto config, HloModuleProto module, Counts known) {
            boolean da = module.hasDeviceAssignment();
            long[] r = pick(config == null ? 0 : config.getReplicaCount(), da ? module.getDeviceAssignment().getReplicaCount() : 0, known.replicas());
            long[] p = pick(config == null ? 0 : config.getNumPartitions(), da ? module.getDeviceAssignment().getComputationCount() : 0, known.partitions());
            String rf = source((int) r[1], known), pf = source((int) p[1], known);
            String from = r[0] == 0 && p[0] == 0 ? null : java.util.Objects.equals(rf, pf) ? rf
                    : "replica count " + (rf == null ? "not stated" : "from " + rf) + ", partition count " + (pf == null ? "not stated" : "from " + pf);
            return new Counts(r[0], p[0], from);
        }

        /** {value, source}: source 0 config, 1 device_assignment, 2 known, 3 none. */
        private static long[] pick(long config, long assignment, long known) {
            return config > 0 ? new long[] {config, 0} : assignment > 0 ? new long[] {assignment, 1} : known > 0 ? new long[] {known, 2} : new long[] {0, 3};
        }

        private static String source(int s, Counts known) {
            return switch (s) {
                case 0 -> "its config";
                case 1 -> "the module's device_assignment";
                case 2 -> known.from();
                default -> null;
            };
        }
    }

    /** This program's device counts by {@link Counts#of}'s rule, {@code known} the caller's own. */
    public Counts counts(Counts known) { return Counts.of(config, module, known); }

    /** XLA's HLO text of the module. */
    public String text() { return HloText.print(module); }

    public HloSummary summary() { return HloSummary.of(module); }
}
