package io.hlo4j.runtime.hlo;

import com.google.protobuf.InvalidProtocolBufferException;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;

/**
 * An optimized program as a plugin hands it back: decoded into an {@code HloModuleProto}, printable as HLO text, with
 * the device counts its config states ({@code hlo_with_config}; (0, 0) for {@code hlo}, which carries no config, and
 * for a config that sets neither).
 */
public record HloProgram(String format, HloModuleProto module, Counts counts) {

    /**
     * Decodes {@code code} by its PJRT program format: {@code hlo} (a serialized HloModuleProto) or
     * {@code hlo_with_config} (HloModuleProtoWithConfig, field 1 the module). Other formats and
     * malformed bytes are refused by name.
     */
    public static HloProgram decode(String format, byte[] code) {
        try {
            Counts counts = new Counts(0, 0);
            HloModuleProto m = switch (format) {
                case "hlo" -> HloModuleProto.parseFrom(code);
                case "hlo_with_config" -> {
                    HloModuleProtoWithConfig w = HloModuleProtoWithConfig.parseFrom(code);
                    if (!w.hasHloModule())
                        throw new IllegalArgumentException("optimized program (format hlo_with_config, " + code.length
                                + " bytes) has no hlo_module (field 1)");
                    counts = new Counts(w.getConfig().getReplicaCount(), w.getConfig().getNumPartitions());
                    yield w.getHloModule();
                }
                default -> throw new IllegalArgumentException("optimized program has format '" + format
                        + "'; hlo4j reads 'hlo' and 'hlo_with_config'");
            };
            if (m.getComputationsCount() == 0)
                throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length + " bytes) holds module '"
                        + m.getName() + "' with no computations");
            return new HloProgram(format, m, counts);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("optimized program (format " + format + ", " + code.length
                    + " bytes) is not a valid HloModuleProto: " + e.getMessage(), e);
        }
    }

    /** Device counts a program states (its config; a file read by {@link HloFile}, also its device assignment); 0 where it states none. */
    public record Counts(long replicas, long partitions) {}

    /** XLA's HLO text of the module. */
    public String text() { return HloText.print(module); }

    public HloSummary summary() { return HloSummary.of(module); }
}
