package io.hlo4j.dsl.moe.ep;

import java.util.ArrayList;
import java.util.List;

/**
 * Which of the three expert biases (wi, wu [E, M], wd [E, H]) an expert-parallel program takes: any subset, as the
 * one-device layer adds any subset. The given ones follow wd among the program's arguments, in the order wi, wu, wd,
 * each with its own spec, and its gradients come in the same order.
 */
public record EpBiases(boolean wi, boolean wu, boolean wd) {
    public static final EpBiases NONE = new EpBiases(false, false, false);
    public static final EpBiases ALL = new EpBiases(true, true, true);

    /** All three or none. */
    public static EpBiases of(boolean all) { return all ? ALL : NONE; }

    /** Those that are non-null. */
    public static EpBiases given(Object wiBias, Object wuBias, Object wdBias) {
        return new EpBiases(wiBias != null, wuBias != null, wdBias != null);
    }

    public int count() { return (wi ? 1 : 0) + (wu ? 1 : 0) + (wd ? 1 : 0); }

    public boolean any() { return count() > 0; }

    /** The given ones among {@code wiBias, wuBias, wdBias}, in that order. */
    public <T> List<T> pick(T wiBias, T wuBias, T wdBias) {
        List<T> out = new ArrayList<>();
        if (wi) out.add(wiBias);
        if (wu) out.add(wuBias);
        if (wd) out.add(wdBias);
        return out;
    }

    @Override
    public String toString() {
        List<String> n = pick("wi", "wu", "wd");
        return n.isEmpty() ? "no biases" : String.join(", ", n) + " bias" + (n.size() > 1 ? "es" : "");
    }
}
