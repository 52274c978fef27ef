package io.hlo4j.runtime.hlo;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;

/** An optimized program as a plugin hands it back: decoded into an {@code HloModuleProto}, printable as HLO text. */
public record HloProgram(String format, HloModuleProto module) {

    /**
     * Decodes {@code code} by its PJRT program format: {@code hlo} (a serialized HloModuleProto) or
     * {@code hlo_with_config} (HloModuleProtoWithConfig, field 1 the module). Other formats and
     * malformed bytes are refused by name.
     */
    public static HloProgram decode(String format, byte[] code) {
        try {
            HloModuleProto m = switch (format) {
                case "hlo" -> HloModuleProto.parseFrom(code);
                case "hlo_with_config" -> {
                    HloModuleProtoWithConfig w = HloModuleProtoWithConfig.parseFrom(code);
                    if (!w.hasHloModule())
                        throw new IllegalArgumentException("optimized program (format hlo_with_config, " + code.length
                                + " bytes) has no hlo_module (field 1)");
                    yield w.getHloModule();
                }
                default -> throw new IllegalArgumentException("optimized program has format '" + format
                        + "'; hlo4j reads 'hlo' and 'hlo_with_config'");
            };
            if (m.getComputationsCount() == 0)
                throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length + " bytes) holds module '"
                        + m.getName() + "' with no computations");
            return new HloProgram(format, m);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length
                    + " bytes) is not a valid HloModuleProto: " + e.getMessage(), e);
        }
    }

    /** Device counts a program states; 0 where it states none. */
    public record Counts(long replicas, long partitions) {}

    /**
     * The {@code replica_count} and {@code num_partitions} the config of an {@code hlo_with_config} program states (what
     * the plugin compiled it for); (0, 0) for {@code hlo}, which carries no config, and for a config that sets neither.
     */
    public static Counts configCounts(String format, byte[] code) {
        if (!format.equals("hlo_with_config")) return new Counts(0, 0);
        try {
            HloModuleProtoWithConfig w = HloModuleProtoWithConfig.parseFrom(code);
            return new Counts(w.getConfig().getReplicaCount(), w.getConfig().getNumPartitions());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("optimized program (format hlo_with_config, " + code.length
                    + " bytes) is not a valid HloModuleProtoWithConfig: " + e.getMessage(), e);
        }
    }

    /** XLA's HLO text of the module. */
    public String text() { return HloText.print(module); }

    public HloSummary summary() { return HloSummary.of(module); }
}
