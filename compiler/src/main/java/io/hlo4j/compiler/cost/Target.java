package io.hlo4j.compiler.cost;

import java.util.List;
import java.util.Locale;

/**
 * An accelerator's headline numbers for a roofline estimate: dense peak FLOP/s (bf16 on tensor cores / MXUs,
 * no sparsity), HBM bandwidth and per-chip interconnect bandwidth (NVLink / ICI, one direction), all from the
 * vendors' public data sheets. A roofline time is max(flops / peak, bytes / hbm): what the chip could do at
 * best, not a prediction.
 */
public record Target(String name, String description, double peakFlops, double hbmBytesPerSecond,
                     double interconnectBytesPerSecond, long hbmBytes) {

    /** The known targets, the default first. */
    public static final List<Target> ALL = List.of(
            new Target("h100", "NVIDIA H100 SXM", 989e12, 3.35e12, 450e9, 80L << 30),
            new Target("h200", "NVIDIA H200 SXM", 989e12, 4.8e12, 450e9, 141L << 30),
            new Target("a100", "NVIDIA A100 SXM 80GB", 312e12, 2.039e12, 300e9, 80L << 30),
            new Target("b200", "NVIDIA B200", 2250e12, 8e12, 900e9, 192L << 30),
            new Target("tpu-v4", "Google TPU v4", 275e12, 1.2e12, 300e9, 32L << 30),
            new Target("tpu-v5e", "Google TPU v5e", 197e12, 0.819e12, 200e9, 16L << 30),
            new Target("tpu-v5p", "Google TPU v5p", 459e12, 2.765e12, 600e9, 95L << 30),
            new Target("tpu-v6e", "Google TPU v6e (Trillium)", 918e12, 1.64e12, 400e9, 32L << 30));

    public static List<String> names() { return ALL.stream().map(Target::name).toList(); }

    /** The target called {@code name} (case-insensitive); refuses unknown names, listing the known ones. */
    public static Target named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (Target t : ALL) if (t.name.equals(n)) return t;
        throw new IllegalArgumentException("unknown target '" + name + "'; known: " + String.join(", ", names()));
    }

    /** Seconds at the roofline: bound by compute or by memory traffic, whichever is slower. */
    public double rooflineSeconds(double flops, double bytes) {
        return Math.max(flops / peakFlops, bytes / hbmBytesPerSecond);
    }

    /** FLOPs per byte at which the chip turns from memory-bound to compute-bound. */
    public double ridgeIntensity() { return peakFlops / hbmBytesPerSecond; }
}
