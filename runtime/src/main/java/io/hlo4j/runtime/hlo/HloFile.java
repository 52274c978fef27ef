package io.hlo4j.runtime.hlo;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnknownFieldSet;
import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleConfigProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProtoWithConfig;
import io.hlo4j.runtime.hlo.proto.HloProto;

import java.util.Map;
import java.util.Set;

/**
 * A serialized HLO program as a file holds it, in one of the three messages XLA writes one in: a plain
 * {@code HloModuleProto} (PJRT format {@code hlo}), an {@code HloProto}
 * (what {@code --xla_dump_hlo_as_proto} writes as {@code *.hlo.pb}: field 1 the module, field 3 the buffer
 * assignment) or an {@code HloModuleProtoWithConfig} (PJRT format {@code hlo_with_config}, {@code hlo4j compile
 * --dump-optimized-proto}: field 1 the module, field 2 its {@code HloModuleConfigProto}).
 *
 * <p>The bytes carry no type tag, so the message is told by its field layout: a wrapper has only fields 1 to 3, and its
 * field 1 decodes as a module with computations; a plain module's field 1 is its name, which never does. Bytes that
 * fit none are refused, naming why each reading failed.
 *
 * <p>{@code replicas} and {@code partitions} are the device counts the file states (0 when it states none), each by
 * {@link HloProgram.Counts#of}'s rule (the one {@code compile} uses): the config's {@code replica_count}/{@code
 * num_partitions}, else the module's static {@code device_assignment} (replicas x computations). They size the collectives whose replica groups are implicit. {@code config} is the
 * whole config of an {@code HloModuleProtoWithConfig} (null for the other messages).
 */
public record HloFile(Message message, HloModuleProto module, HloModuleConfigProto config, long replicas, long partitions, String countsFrom) {

    /** The three messages, by XLA's names, with the PJRT-style format name {@code inspect --json} reports. */
    public enum Message {
        MODULE("HloModuleProto", "hlo"),
        HLO_PROTO("HloProto", "hlo_proto"),
        /** Field 1 only: an HloProto without buffer assignment and an HloModuleProtoWithConfig without config are the same bytes. */
        WRAPPED("HloProto or HloModuleProtoWithConfig", "hlo_proto"),
        WITH_CONFIG("HloModuleProtoWithConfig", "hlo_with_config");

        public final String xlaName, format;

        Message(String xlaName, String format) {
            this.xlaName = xlaName;
            this.format = format;
        }
    }

    private static final String ALL = "HloModuleProto, HloProto or HloModuleProtoWithConfig";

    /** Reads {@code bytes}; refuses (IllegalArgumentException) what is none of the three messages, saying why. */
    public static HloFile decode(byte[] bytes) {
        if (bytes.length == 0) throw new IllegalArgumentException("is empty (0 bytes), not a valid " + ALL);
        UnknownFieldSet fields;
        try {
            fields = UnknownFieldSet.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException(bytes.length + " bytes are not a protobuf message, so not a valid " + ALL + " ("
                    + e.getMessage() + ")");
        }
        String wrapperWhy = wrapperMismatch(fields);
        if (wrapperWhy == null) return wrapper(fields.hasField(2) ? Message.WITH_CONFIG : fields.hasField(3) ? Message.HLO_PROTO : Message.WRAPPED, bytes);
        HloModuleProto m;
        try {
            m = HloModuleProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw refused(bytes.length, e.getMessage(), wrapperWhy);
        }
        String moduleWhy = moduleMismatch(m);
        if (moduleWhy != null) throw refused(bytes.length, moduleWhy, wrapperWhy);
        return withCounts(Message.MODULE, m, null);
    }

    /** A program as {@link HloProgram} (format {@link Message#format}) for printing and JSON. */
    public HloProgram program() { return new HloProgram(message.format, module, config); }

    /** The summary with the file's device counts (unknown ones 0). */
    public HloSummary summary() { return HloSummary.of(module, replicas, partitions); }

    /**
     * One line saying what the file held and the device counts it states, e.g. {@code HloProto (--xla_dump_hlo_as_proto):
     * 1 replica x 8 partitions (the module's device_assignment)}; empty for a plain module that states none, whose
     * report is then what it always was.
     */
    public String header() {
        if (message == Message.MODULE && countsFrom == null) return "";
        String what = message.xlaName + (message == Message.HLO_PROTO ? " (--xla_dump_hlo_as_proto)" : message == Message.WRAPPED ? " (field 1 only)" : "");
        if (countsFrom == null) return what + ": no device counts (no config, no device_assignment)\n";
        return what + ": " + count(replicas, "replica") + " x " + count(partitions, "partition") + " (" + countsFrom + ")\n";
    }

    private static String count(long n, String what) {
        return n == 0 ? what + " count not stated" : n + " " + what + (n == 1 ? "" : "s");
    }

    private static IllegalArgumentException refused(int size, String asModule, String asWrapper) {
        return new IllegalArgumentException(size + " bytes are not a valid " + ALL + " (as an HloModuleProto: " + asModule
                + "; as HloProto or HloModuleProtoWithConfig: " + asWrapper + ")");
    }

    /** Why the top-level fields are not a wrapper's, or null when they are. */
    private static String wrapperMismatch(UnknownFieldSet fields) {
        Map<Integer, UnknownFieldSet.Field> all = fields.asMap();
        if (!Set.of(1, 2, 3).containsAll(all.keySet())) return "field " + firstOutside(all.keySet()) + " is set (they have fields 1 to 3)";
        UnknownFieldSet.Field f1 = all.get(1);
        if (f1 == null || f1.getLengthDelimitedList().size() != 1 || !f1.getVarintList().isEmpty() || !f1.getFixed32List().isEmpty()
                || !f1.getFixed64List().isEmpty() || !f1.getGroupList().isEmpty())
            return "field 1 is not one embedded message";
        if (all.containsKey(2) && all.containsKey(3)) return "it has both field 2 (a config) and field 3 (a buffer assignment)";
        for (int n : new int[] {2, 3}) {
            UnknownFieldSet.Field f = all.get(n);
            if (f != null && (f.getLengthDelimitedList().size() != 1 || f.getVarintList().size() + f.getFixed32List().size()
                    + f.getFixed64List().size() + f.getGroupList().size() > 0))
                return "field " + n + " is not one embedded message";
        }
        try {
            String why = moduleMismatch(HloModuleProto.parseFrom(f1.getLengthDelimitedList().getFirst()));
            return why == null ? null : "field 1 is no HloModuleProto (" + why + ")";
        } catch (InvalidProtocolBufferException e) {
            return "field 1 is no HloModuleProto (" + e.getMessage() + ")";
        }
    }

    private static int firstOutside(Set<Integer> keys) {
        return keys.stream().filter(k -> k < 1 || k > 3).min(Integer::compare).orElse(0);
    }

    /** Why a decoded module is not one (no computations, an instruction without opcode), or null. */
    private static String moduleMismatch(HloModuleProto m) {
        if (m.getComputationsCount() == 0) return "no computations";
        for (HloComputationProto c : m.getComputationsList())
            for (HloInstructionProto i : c.getInstructionsList())
                if (i.getOpcode().isEmpty()) return "instruction '" + i.getName() + "' of computation '" + c.getName() + "' has no opcode";
        return null;
    }

    private static HloFile wrapper(Message message, byte[] bytes) {
        try {
            if (message == Message.WITH_CONFIG) {
                HloModuleProtoWithConfig w = HloModuleProtoWithConfig.parseFrom(bytes);
                return withCounts(Message.WITH_CONFIG, w.getHloModule(), w.getConfig());
            }
            return withCounts(message, HloProto.parseFrom(bytes).getHloModule(), null);
        } catch (InvalidProtocolBufferException e) {
            // field 1 decoded on its own; what fails here is the config
            throw new IllegalArgumentException(bytes.length + " bytes hold a module in field 1, but field 2 is not an HloModuleConfigProto ("
                    + e.getMessage() + ")");
        }
    }

    private static HloFile withCounts(Message message, HloModuleProto m, HloModuleConfigProto config) {
        HloProgram.Counts c = HloProgram.Counts.of(config, m, HloProgram.Counts.NONE);
        return new HloFile(message, m, config, c.replicas(), c.partitions(), c.from());
    }
}
