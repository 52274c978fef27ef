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

    /** Device counts a program states (its config; a file read by {@link HloFile}, also its device assignment); 0 where it states none. */
    public record Counts(long replicas, long partitions) {}

    /** The counts the config states; 0 where it states none or there is no config. */
    public Counts counts() {
        return config == null ? new Counts(0, 0) : new Counts(config.getReplicaCount(), config.getNumPartitions());
    }

    /** XLA's HLO text of the module. */
    public String text() { return HloText.print(module); }

    public HloSummary summary() { return HloSummary.of(module); }
}
