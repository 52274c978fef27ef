package io.hlo4j.dsl.moe.ep;

/**
 * How the FUSED MoE method distributes tokens over the expert axis (the model axes folded into the expert mesh's
 * {@code expert} axis):
 * <ul>
 *   <li>{@link #REPLICATED}: every shard of an expert group sees all of the group's tokens (EasyDeL's scheme),
 *       computes its own experts' rows, and the partial outputs are summed (psum) over the expert axis;</li>
 *   <li>{@link #TOKEN_SHARDED}: tokens are split over the expert axis; each shard routes its tokens, sends each
 *       row to the shard owning its expert (ragged all-to-all), runs its experts, and the rows come back the same
 *       way (dispatch and combine);</li>
 *   <li>{@link #RING}: tokens are split over the expert axis, all-gathered in, and the partial outputs
 *       reduce-scattered back (ring of experts);</li>
 *   <li>{@link #AUTO}: the mode {@link EpCostModel} says moves the fewest bytes per device for the shapes.</li>
 * </ul>
 */
public enum EpMode {
    AUTO, REPLICATED, TOKEN_SHARDED, RING;

    /** {@code auto|replicated|token-sharded|ring}, as the CLI spells them. */
    public static EpMode parse(String s) {
        for (EpMode m : values()) if (m.cliName().equals(s)) return m;
        throw new IllegalArgumentException("unknown EP mode '" + s + "'; use auto, replicated, token-sharded or ring");
    }

    public String cliName() { return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'); }
}
