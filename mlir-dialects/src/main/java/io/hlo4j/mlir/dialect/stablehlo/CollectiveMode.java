package io.hlo4j.mlir.dialect.stablehlo;

/**
 * How a collective's {@code replica_groups} ids name processes (the spec's "Collective ops" process-group modes),
 * stated once for the interpreter, the static cost analysis and the HLO-proto summary:
 * <ul>
 *   <li>all_gather, all_reduce, reduce_scatter (and the legacy cross-replica-sum): without a channel
 *   {@link #CROSS_REPLICA}; with one, {@link #FLATTENED_IDS} under {@code use_global_device_ids}, else
 *   {@link #CROSS_REPLICA_AND_PARTITION};</li>
 *   <li>collective_reduce: without a channel {@link #CROSS_REPLICA}; with one, {@link #FLATTENED_IDS} under
 *   {@code use_global_device_ids} (the verifier accepts the flag, and upstream's reference interpreter reads it as
 *   all_reduce does), else {@link #CROSS_PARTITION} as spec.md says. Upstream's reference interpreter reads a channel
 *   without the flag as cross_replica_and_partition instead; hlo4j follows the spec there;</li>
 *   <li>all_to_all, collective_permute, collective_broadcast and {@code ragged_all_to_all}:
 *   without a channel {@link #CROSS_REPLICA}, with one {@link #CROSS_PARTITION}. ragged_all_to_all is a custom call,
 *   not a spec op; XLA gives its HLO op exactly this rule (its channel_id lives in {@code backend_config}), and JAX
 *   sets that channel only under SPMD, so a program without it exchanges among replicas.</li>
 * </ul>
 * {@code use_global_device_ids} without a channel, or on an op that has no flattened mode, is refused.
 */
public enum CollectiveMode {
    /** ids are replica ids; each partition forms its own copy of every group. */
    CROSS_REPLICA,
    /** ids are partition ids; each replica forms its own copy of every group. */
    CROSS_PARTITION,
    /** ids are replica ids; a group spans those replicas times every partition. */
    CROSS_REPLICA_AND_PARTITION,
    /** ids are {@code replica * partitions + partition}. */
    FLATTENED_IDS;

    /**
     * The mode of collective {@code op} (with or without a dialect prefix or an HLO {@code -start} suffix; StableHLO's
     * underscores or HLO's hyphens) given its channel id ({@code <= 0}: none) and {@code use_global_device_ids}.
     */
    public static CollectiveMode of(String op, long channelId, boolean useGlobalDeviceIds) {
        String k = kind(op);
        boolean channel = channelId > 0;
        switch (k) {
            case "all_gather", "all_reduce", "reduce_scatter", "cross_replica_sum" -> {
                if (!channel) {
                    if (useGlobalDeviceIds) throw new IllegalArgumentException(op + ": use_global_device_ids needs a channel_id > 0, got " + channelId);
                    return CROSS_REPLICA;
                }
                return useGlobalDeviceIds ? FLATTENED_IDS : CROSS_REPLICA_AND_PARTITION;
            }
            case "collective_reduce" -> {
                if (!channel) {
                    if (useGlobalDeviceIds) throw new IllegalArgumentException(op + ": use_global_device_ids needs a channel_id > 0, got " + channelId);
                    return CROSS_REPLICA;
                }
                return useGlobalDeviceIds ? FLATTENED_IDS : CROSS_PARTITION;
            }
            case "all_to_all", "collective_permute", "collective_broadcast", "ragged_all_to_all" -> {
                if (useGlobalDeviceIds) {
                    throw new IllegalArgumentException(op + ": use_global_device_ids has no meaning here (" + k
                            + " has no flattened-ids mode: its ids are replica ids without a channel, partition ids with one)");
                }
                return channel ? CROSS_PARTITION : CROSS_REPLICA;
            }
            default -> throw new IllegalArgumentException("no process-group mode for '" + op + "': not a collective with replica groups");
        }
    }

    /** How many ids the groups range over: replicas, partitions or both, for a grid of that many (0: unknown gives 0). */
    public long idSpace(long replicas, long partitions) {
        return switch (this) {
            case CROSS_REPLICA, CROSS_REPLICA_AND_PARTITION -> replicas;
            case CROSS_PARTITION -> partitions;
            case FLATTENED_IDS -> replicas * partitions;
        };
    }

    /**
     * Processes in one group whose replica_groups row holds {@code rowLength} ids (0: the groups are empty, one group of
     * the whole id space); for {@link #CROSS_REPLICA_AND_PARTITION} times every partition. 0 when that needs a replica
     * or partition count given as 0 (unknown).
     */
    public long groupSize(long rowLength, long replicas, long partitions) {
        long ids = rowLength > 0 ? rowLength : idSpace(replicas, partitions);
        return this == CROSS_REPLICA_AND_PARTITION ? ids * partitions : ids;
    }

    /** The spec's name of the mode ({@code cross_replica}, ...). */
    public String specName() { return name().toLowerCase(java.util.Locale.ROOT); }

    /** {@code stablehlo.all_gather}, {@code all-gather-start}, {@code ragged_all_to_all} ... as {@code all_gather} ... */
    private static String kind(String op) {
        String k = op;
        int dot = k.indexOf('.');
        if (dot >= 0) k = k.substring(dot + 1);
        if (k.endsWith("-start")) k = k.substring(0, k.length() - "-start".length());
        return k.replace('-', '_');
    }
}
