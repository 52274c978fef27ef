package io.hlo4j.dsl.moe;

/**
 * One shard of the expert mesh axis: shard {@code index} of {@code count} owns experts
 * [index * E / count, (index + 1) * E / count). The FUSED method is written per shard; on a 1-device mesh the
 * single shard owns every expert and the cross-shard sum of partial outputs is the identity.
 */
public record ExpertShard(int index, int count) {
    public static final ExpertShard SINGLE = new ExpertShard(0, 1);

    public ExpertShard {
        if (count < 1 || index < 0 || index >= count) {
            throw new MoeException("ExpertShard: index " + index + " of " + count + " shards is out of range");
        }
    }

    /** The first expert this shard owns; {@code experts} must divide evenly. */
    public int firstExpert(int experts) {
        if (experts % count != 0) {
            throw new MoeException("ExpertShard: " + experts + " experts do not divide over " + count + " expert shards");
        }
        return index * (experts / count);
    }

    public int localExperts(int experts) {
        firstExpert(experts);
        return experts / count;
    }
}
