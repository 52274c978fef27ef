package io.hlo4j.runtime.pjrt;

import com.google.protobuf.CodedOutputStream;
import io.hlo4j.runtime.pjrt.proto.CompileOptionsProto;
import io.hlo4j.runtime.pjrt.proto.DeviceAssignmentProto;
import io.hlo4j.runtime.pjrt.proto.ExecutableBuildOptionsProto;
import io.hlo4j.runtime.pjrt.proto.OptionOverrideProto;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The serialized {@code xla.CompileOptionsProto} a PJRT compile takes, set the way JAX sets it for a
 * jit over N devices: one replica, N partitions, SPMD partitioning when N > 1, an explicit device
 * assignment, sharding propagation flags per argument/result, and DebugOptions tweaks only by name
 * ({@code env_option_overrides}): a DebugOptions message is never sent, since a partial one replaces
 * all of XLA's defaults.
 */
public final class CompileOptions {
    private final CompileOptionsProto proto;

    private CompileOptions(CompileOptionsProto proto) { this.proto = proto; }

    /** One device: 1 replica x 1 partition on {@code deviceId}, no SPMD, shardings all given. */
    public static CompileOptions singleDevice(long deviceId) {
        return builder().devices(deviceId).build();
    }

    /** A jit over {@code deviceIds.length} devices as JAX does it: SPMD over one replica, Shardy on. */
    public static CompileOptions spmd(long... deviceIds) {
        return builder().devices(deviceIds).build();
    }

    public static Builder builder() { return new Builder(); }

    public CompileOptionsProto proto() { return proto; }

    public int numReplicas() { return (int) proto.getExecutableBuildOptions().getNumReplicas(); }

    public int numPartitions() { return (int) proto.getExecutableBuildOptions().getNumPartitions(); }

    /** The device ids of the assignment, partition-major (one replica: partition p runs on the p-th id). */
    public long[] deviceIds() {
        return proto.getExecutableBuildOptions().getDeviceAssignment().getComputationDevicesList().stream()
                .flatMapToLong(cd -> cd.getReplicaDeviceIdsList().stream().mapToLong(Long::longValue)).toArray();
    }

    /** Deterministic bytes (map entries sorted by key), so equal options give equal bytes. */
    public byte[] toBytes() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(proto.getSerializedSize());
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.useDeterministicSerialization();
            proto.writeTo(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override public String toString() { return proto.toString(); }

    /** Builds the options; {@link #build()} checks that the pieces agree and names what does not. */
    public static final class Builder {
        private long[][] assignment;            // [partition][replica] -> device id
        private int replicas = 1;
        private Boolean spmd;                   // null = "N > 1"
        private boolean shardy = true;          // JAX's default (jax_use_shardy_partitioner)
        private boolean[] propagateToParameters = {false};
        private boolean[] propagateToOutput = {false};
        private final Map<String, OptionOverrideProto> overrides = new LinkedHashMap<>();
        private int processIndex = 0, processCount = 1;

        private Builder() {}

        /**
         * XLA's {@code process_index}/{@code process_count} (default 0 of 1). JAX never sets them, even in a multi-process
         * job, and XLA's GPU client overwrites them from the processes its device assignment names; {@code PjrtBackend}
         * leaves the defaults too. For a plugin that reads them.
         */
        public Builder process(int index, int count) {
            if (count < 1 || index < 0 || index >= count)
                throw new IllegalArgumentException("compile options: process " + index + " of " + count + " processes");
            this.processIndex = index;
            this.processCount = count;
            return this;
        }

        /** One replica, one partition per device, in the given order (JAX's mesh device order). */
        public Builder devices(long... deviceIds) {
            long[][] a = new long[deviceIds.length][];
            for (int p = 0; p < deviceIds.length; p++) a[p] = new long[] {deviceIds[p]};
            return assignment(1, a);
        }

        /** Explicit assignment: {@code ids[partition][replica]}, each row {@code replicas} long. */
        public Builder assignment(int replicas, long[][] ids) {
            this.replicas = replicas;
            this.assignment = Arrays.stream(ids).map(long[]::clone).toArray(long[][]::new);
            return this;
        }

        public Builder spmdPartitioning(boolean on) { this.spmd = on; return this; }

        /** true when the module carries {@code sdy} shardings, false for {@code mhlo.sharding} strings. */
        public Builder shardyPartitioner(boolean on) { this.shardy = on; return this; }

        /** One flag per parameter (true = XLA may choose its sharding), or one flag for all. */
        public Builder propagateToParameters(boolean... flags) { this.propagateToParameters = flags.clone(); return this; }

        /** One flag per result (true = XLA may choose its sharding), or one flag for all. */
        public Builder propagateToOutput(boolean... flags) { this.propagateToOutput = flags.clone(); return this; }

        public Builder option(String debugOption, String value) {
            return put(debugOption, OptionOverrideProto.newBuilder().setStringField(value).build());
        }

        public Builder option(String debugOption, boolean value) {
            return put(debugOption, OptionOverrideProto.newBuilder().setBoolField(value).build());
        }

        public Builder option(String debugOption, long value) {
            return put(debugOption, OptionOverrideProto.newBuilder().setIntField(value).build());
        }

        public Builder option(String debugOption, double value) {
            return put(debugOption, OptionOverrideProto.newBuilder().setDoubleField(value).build());
        }

        private Builder put(String name, OptionOverrideProto value) {
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("compile option override needs a DebugOptions field name");
            overrides.put(name, value);
            return this;
        }

        public CompileOptions build() {
            if (assignment == null || assignment.length == 0)
                throw new IllegalArgumentException("compile options: no devices given (call devices(...) or assignment(...))");
            if (replicas < 1) throw new IllegalArgumentException("compile options: num_replicas " + replicas + " < 1");
            Set<Long> seen = new HashSet<>();
            DeviceAssignmentProto.Builder da = DeviceAssignmentProto.newBuilder()
                    .setReplicaCount(replicas).setComputationCount(assignment.length);
            for (int p = 0; p < assignment.length; p++) {
                if (assignment[p].length != replicas)
                    throw new IllegalArgumentException("compile options: partition " + p + " lists " + assignment[p].length
                            + " device ids, expected num_replicas=" + replicas);
                DeviceAssignmentProto.ComputationDevice.Builder cd = DeviceAssignmentProto.ComputationDevice.newBuilder();
                for (long id : assignment[p]) {
                    if (!seen.add(id)) throw new IllegalArgumentException("compile options: device id " + id + " assigned twice");
                    cd.addReplicaDeviceIds(id);
                }
                da.addComputationDevices(cd);
            }
            int partitions = assignment.length;
            boolean useSpmd = spmd != null ? spmd : partitions > 1;
            if (partitions > 1 && !useSpmd)
                throw new IllegalArgumentException("compile options: " + partitions + " partitions need SPMD partitioning");
            ExecutableBuildOptionsProto.Builder ebo = ExecutableBuildOptionsProto.newBuilder()
                    .setDeviceOrdinal(-1)                 // "unset": 0 would pin device ordinal 0
                    .setNumReplicas(replicas)
                    .setNumPartitions(partitions)
                    .setUseSpmdPartitioning(useSpmd)
                    .setUseShardyPartitioner(shardy)
                    .setDeviceAssignment(da)
                    .setProcessIndex(processIndex)
                    .setProcessCount(processCount);       // proto default 0 is taken literally
            for (boolean b : propagateToParameters) ebo.addAllowSpmdShardingPropagationToParameters(b);
            for (boolean b : propagateToOutput) ebo.addAllowSpmdShardingPropagationToOutput(b);
            return new CompileOptions(CompileOptionsProto.newBuilder()
                    .setExecutableBuildOptions(ebo)
                    .putAllEnvOptionOverrides(overrides)
                    .build());
        }
    }
}
