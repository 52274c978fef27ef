package io.hlo4j.dsl.moe;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads and writes {@link MoeConfig} as a JSON object with issue 5's snake_case keys. Strict: an unknown or
 * duplicated key, a value of the wrong JSON type or an out-of-range value is an error naming the key and value.
 * The four sizes are required; the rest default as in {@link MoeConfig#of}. {@code lbl_coef}, {@code rzl_coef}
 * null or absent mean "no such loss"; {@code capacity_factor} null or absent means 1.0.
 */
public final class MoeConfigJson {
    public static final Set<String> KEYS = Set.of("n_routed_experts", "num_experts_per_tok", "hidden_size",
            "moe_intermediate_size", "routing_strategy", "load_balancing_strategy", "lbl_coef", "rzl_coef",
            "capacity_factor", "moe_method", "dtype", "hidden_act", "use_expert_tensor_mode", "fsdp_is_ep_bound",
            "sp_is_ep_bound");

    /**
     * Keys of EasyDeL's and Hugging Face's model configs that a config copied from there brings, with what this format
     * says instead (docs/moe.md, "Coming from EasyDeL"), so that the refusal of an unknown key also says where it went.
     */
    static final Map<String, String> FOREIGN_KEYS = Map.ofEntries(
            Map.entry("num_local_experts", "Hugging Face's name; here n_routed_experts"),
            Map.entry("num_experts", "Hugging Face's name; here n_routed_experts"),
            Map.entry("num_experts_per_token", "here num_experts_per_tok"),
            Map.entry("top_k_experts", "here num_experts_per_tok"),
            Map.entry("intermediate_size", "the experts' width in a config without moe_intermediate_size (Mixtral's); here moe_intermediate_size"),
            Map.entry("router_aux_loss_coef", "the models' loss coefficient; here lbl_coef, whose standard loss is the "
                    + "Hugging Face (Mixtral) aux loss divided by k (docs/moe.md, Coming from EasyDeL)"),
            Map.entry("router_z_loss_coef", "here rzl_coef"),
            Map.entry("norm_topk_prob", "here routing_strategy top_k (true) or top_k_ndiv (false)"),
            Map.entry("router_jitter_noise", "no key: multiply the hidden state by the noise in your block, before moeCall"),
            Map.entry("use_ring_of_experts", "no key: the ring is an expert-parallel mode (moe run --ep-mode ring, EpMode.RING)"),
            Map.entry("moe_force_xla_gmm", "no key: the grouped matmul is always chlo.ragged_dot"),
            Map.entry("moe_tiling_size_batch", "no key: hlo4j emits no Pallas kernel, so there are no tiles"),
            Map.entry("moe_tiling_size_dim", "no key: hlo4j emits no Pallas kernel, so there are no tiles"),
            Map.entry("moe_tiling_size_seqlen", "no key: hlo4j emits no Pallas kernel, so there are no tiles"),
            Map.entry("sharding_axis_dims", "no key: the mesh is the command's --mesh (dp=..,fsdp=..,ep=..,tp=..,sp=..; -1 with --devices)"),
            // shared experts run beside the routed ones, outside the MoE layer (easydel-moe-behavior.md section 9)
            Map.entry("shared_expert_intermediate_size", "the shared expert's width (Qwen-MoE); no key: the shared expert is not part "
                    + "of the MoE layer: add your own MLP of this width to moeCall's output, times sigmoid(x @ shared_expert_gate)"),
            Map.entry("shared_expert_gate", "Qwen-MoE's gate layer (H -> 1) of the shared expert; no key: multiply your shared MLP's "
                    + "output by sigmoid(x @ gate) before adding it to moeCall's output"),
            Map.entry("n_shared_experts", "DeepSeek's and GLM's count of shared experts; no key: the shared experts are not part of "
                    + "the MoE layer: add your own MLP of width n_shared_experts * moe_intermediate_size to moeCall's output"),
            Map.entry("routed_scaling_factor", "DeepSeek's and GLM's factor on the routed weights; no key: multiply moeCall's output "
                    + "by it (the combine is linear in the weights), or set a refine_weights_hook that renormalizes and scales (it "
                    + "replaces the strategy's rule)"),
            Map.entry("output_router_logits", "no key: moeCall always returns the router logits (MoeOutput.routerLogits()); the aux "
                    + "loss it turns on is load_balancing_strategy with lbl_coef, computed when moeCall's outputMetrics is true"));

    /**
     * The hint for {@code intermediate_size} beside {@code moe_intermediate_size}: Qwen2/3-MoE, DeepSeek and GLM configs
     * have both, and there the first is the width of the model's dense MLP layers (Mixtral's has only the first, its
     * experts' width).
     */
    static final String DENSE_MLP_WIDTH = "the dense MLP's width in configs that also have moe_intermediate_size (Qwen-MoE, "
            + "DeepSeek, GLM), not part of the MoE layer: drop it";

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** What {@link #parse(String)} calls the document in its messages. */
    public static final String STRING_SOURCE = "moe config";

    private MoeConfigJson() {}

    /** A config file; every message starts with the file's path (see {@link #parse(String, String)}). */
    public static MoeConfig read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new MoeException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return parse(text, file.toString());
    }

    /** A config given as a string; messages start with {@value #STRING_SOURCE}. */
    public static MoeConfig parse(String json) { return parse(json, STRING_SOURCE); }

    /**
     * Parses a config. Every complaint is one unlocated {@link MoeException} worded here once, naming {@code source}
     * (a file's path, or {@value #STRING_SOURCE}): {@code "<source>: <key>: <problem with the value>"}, and for text
     * that is not JSON {@code "<source>:<line>:<column>: not valid JSON: <the parser's reason>"}. A Java line would mean
     * nothing to the document's author, so none is attached.
     */
    public static MoeConfig parse(String json, String source) {
        if (json.isBlank()) throw new MoeException(source + ": is empty; a moe config is a JSON object (keys as in docs/moe.md, e.g. n_routed_experts)");
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null || at.getLineNr() < 1 ? "" : ":" + at.getLineNr() + ":" + at.getColumnNr();
            throw new MoeException(source + where + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new MoeException(source + ": expected a JSON object, got " + (root == null ? "nothing" : root));
        }
        List<String> unknown = new ArrayList<>();
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) unknown.add(key);
        }
        if (!unknown.isEmpty()) {
            StringBuilder hints = new StringBuilder();
            for (String key : unknown) {
                String hint = key.equals("intermediate_size") && root.has("moe_intermediate_size") ? DENSE_MLP_WIDTH : FOREIGN_KEYS.get(key);
                if (hint != null) hints.append("; ").append(key).append(": ").append(hint);
            }
            throw new MoeException(source + ": unknown key(s) " + unknown + " (known: " + KEYS.stream().sorted().toList() + ")" + hints);
        }
        try {
            return fromJson(root);
        } catch (MoeException e) {
            throw new MoeException(source + ": " + e.detail(), e);
        }
    }

    private static MoeConfig fromJson(JsonNode root) {
        return new MoeConfig(
                requiredInt(root, "n_routed_experts"),
                requiredInt(root, "num_experts_per_tok"),
                requiredInt(root, "hidden_size"),
                requiredInt(root, "moe_intermediate_size"),
                choice(root, "routing_strategy", MoeRoutingStrategy.TOP_K.value(), MoeRoutingStrategy::fromValue),
                choice(root, "load_balancing_strategy", MoeLoadBalancingStrategy.STANDARD.value(),
                        MoeLoadBalancingStrategy::fromValue),
                optionalNumber(root, "lbl_coef"),
                optionalNumber(root, "rzl_coef"),
                optionalNumber(root, "capacity_factor").orElse(MoeConfig.DEFAULT_CAPACITY_FACTOR),
                choice(root, "moe_method", MoEMethods.FUSED_MOE.value(), MoEMethods::fromValue),
                choice(root, "dtype", MoeDtype.FLOAT32.value(), MoeDtype::fromValue),
                choice(root, "hidden_act", HiddenAct.SILU.value(), HiddenAct::fromValue),
                bool(root, "use_expert_tensor_mode", false),
                bool(root, "fsdp_is_ep_bound", true),
                bool(root, "sp_is_ep_bound", true));
    }

    /** The JSON form (every key, nulls for absent coefficients); {@link #parse} of it gives back an equal config. */
    public static String write(MoeConfig c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n_routed_experts", c.nRoutedExperts());
        m.put("num_experts_per_tok", c.numExpertsPerTok());
        m.put("hidden_size", c.hiddenSize());
        m.put("moe_intermediate_size", c.moeIntermediateSize());
        m.put("routing_strategy", c.routingStrategy().value());
        m.put("load_balancing_strategy", c.loadBalancingStrategy().value());
        m.put("lbl_coef", c.lblCoef().isPresent() ? c.lblCoef().getAsDouble() : null);
        m.put("rzl_coef", c.rzlCoef().isPresent() ? c.rzlCoef().getAsDouble() : null);
        m.put("capacity_factor", c.capacityFactor());
        m.put("moe_method", c.moeMethod().value());
        m.put("dtype", c.dtype().value());
        m.put("hidden_act", c.hiddenAct().value());
        m.put("use_expert_tensor_mode", c.useExpertTensorMode());
        m.put("fsdp_is_ep_bound", c.fsdpIsEpBound());
        m.put("sp_is_ep_bound", c.spIsEpBound());
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new MoeException("MoeConfigJson.write: cannot write JSON: " + e.getOriginalMessage(), e);
        }
    }

    private static int requiredInt(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) throw new MoeException(key + ": required key is missing");
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new MoeException(key + ": expected an integer, got " + n);
        }
        int v = n.intValue();
        if (v <= 0) throw new MoeException(key + ": " + v + " must be a positive integer");
        return v;
    }

    private static String string(JsonNode root, String key, String dflt) {
        JsonNode n = root.get(key);
        if (n == null) return dflt;
        if (!n.isTextual()) throw new MoeException(key + ": expected a string, got " + n);
        return n.textValue();
    }

    /** An enum-valued key: the enum's own error (value and choices) prefixed with the key. */
    private static <E> E choice(JsonNode root, String key, String dflt, Function<String, E> of) {
        String v = string(root, key, dflt);
        try {
            return of.apply(v);
        } catch (MoeException e) {
            throw new MoeException(key + ": " + e.detail(), e);
        }
    }

    private static OptionalDouble optionalNumber(JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return OptionalDouble.empty();
        if (!n.isNumber()) throw new MoeException(key + ": expected a number or null, got " + n);
        return OptionalDouble.of(n.doubleValue());
    }

    private static boolean bool(JsonNode root, String key, boolean dflt) {
        JsonNode n = root.get(key);
        if (n == null) return dflt;
        if (!n.isBoolean()) throw new MoeException(key + ": expected true or false, got " + n);
        return n.booleanValue();
    }
}
