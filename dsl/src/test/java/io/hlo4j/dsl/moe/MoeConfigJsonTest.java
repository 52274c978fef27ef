package io.hlo4j.dsl.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MoeConfigJsonTest {
    private static final String SIZES =
            "\"n_routed_experts\": 8, \"num_experts_per_tok\": 2, \"hidden_size\": 16, \"moe_intermediate_size\": 32";

    private static MoeConfig parse(String extra) {
        return MoeConfigJson.parse("{" + SIZES + (extra.isEmpty() ? "" : ", " + extra) + "}");
    }

    @Test
    void everyKeyIsRead() {
        MoeConfig c = parse("\"routing_strategy\": \"expert_choice\", \"load_balancing_strategy\": \"switch_transformer\","
                + " \"lbl_coef\": 0.01, \"rzl_coef\": 0.001, \"capacity_factor\": 1.25, \"moe_method\": \"dense_moe\","
                + " \"dtype\": \"bfloat16\", \"hidden_act\": \"gelu_pytorch_tanh\", \"use_expert_tensor_mode\": true,"
                + " \"fsdp_is_ep_bound\": false, \"sp_is_ep_bound\": false");
        assertThat(c).isEqualTo(new MoeConfig(8, 2, 16, 32, MoeRoutingStrategy.EXPERT_CHOICE,
                MoeLoadBalancingStrategy.SWITCH_TRANSFORMER, OptionalDouble.of(0.01), OptionalDouble.of(0.001), 1.25,
                MoEMethods.DENSE_MOE, MoeDtype.BFLOAT16, HiddenAct.GELU_PYTORCH_TANH, true, false, false));
        assertThat(c.expertCapacity(10)).isEqualTo(4); // ceil(1.25 * 10 * 2 / 8) = ceil(3.125)
        assertThat(c.expertCapacity(100)).isEqualTo(32); // ceil(31.25)
    }

    @Test
    void defaultsForAbsentKeysAndNullCoefficients() {
        MoeConfig c = parse("\"lbl_coef\": null, \"rzl_coef\": null, \"capacity_factor\": null");
        assertThat(c).isEqualTo(MoeConfig.of(8, 2, 16, 32));
        assertThat(c.lblCoef()).isEmpty();
        assertThat(c.rzlCoef()).isEmpty();
        assertThat(c.capacityFactor()).isEqualTo(1.0);
        assertThat(c.routingStrategy()).isEqualTo(MoeRoutingStrategy.TOP_K);
        assertThat(c.loadBalancingStrategy()).isEqualTo(MoeLoadBalancingStrategy.STANDARD);
        assertThat(c.moeMethod()).isEqualTo(MoEMethods.FUSED_MOE);
        assertThat(c.computesLoadBalancingLoss()).isFalse();
        assertThat(c.fsdpIsEpBound()).isTrue();
        assertThat(c.spIsEpBound()).isTrue();
    }

    @Test
    void switchUsesOneSlotWhateverK() {
        MoeConfig c = parse("\"routing_strategy\": \"switch\"");
        assertThat(c.numExpertsPerTok()).isEqualTo(2);
        assertThat(c.slotsPerToken()).isEqualTo(1);
        assertThat(parse("").slotsPerToken()).isEqualTo(2);
    }

    @Test
    void writeThenParseGivesTheSameConfig() {
        MoeConfig c = parse("\"routing_strategy\": \"hash\", \"lbl_coef\": 0.5, \"dtype\": \"bfloat16\", \"hidden_act\": \"relu\"");
        assertThat(MoeConfigJson.parse(MoeConfigJson.write(c))).isEqualTo(c);
        MoeConfig none = MoeConfig.of(4, 1, 8, 16);
        assertThat(MoeConfigJson.write(none)).contains("\"lbl_coef\" : null");
        assertThat(MoeConfigJson.parse(MoeConfigJson.write(none))).isEqualTo(none);
    }

    @Test
    void enumStringValuesAreTheSeeds() {
        assertThat(MoEMethods.values()).extracting(MoEMethods::value)
                .containsExactly("fused_moe", "standard_moe", "dense_moe");
        assertThat(MoeRoutingStrategy.values()).extracting(MoeRoutingStrategy::value)
                .containsExactly("top_k", "top_k_ndiv", "switch", "expert_choice", "hash");
        assertThat(MoeLoadBalancingStrategy.values()).extracting(MoeLoadBalancingStrategy::value)
                .containsExactly("standard", "switch_transformer", "expert_choice", "none");
        assertThat(HiddenAct.values()).extracting(HiddenAct::value)
                .containsExactly("silu", "gelu", "gelu_pytorch_tanh", "relu");
        assertThat(MoeRoutingStrategy.fromValue("expert_choice")).isEqualTo(MoeRoutingStrategy.EXPERT_CHOICE);
        assertThatThrownBy(() -> MoeRoutingStrategy.fromValue("TOP_K"))
                .isInstanceOf(MoeException.class).hasMessageContaining("'TOP_K'").hasMessageContaining("'top_k'");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            unknown key           | "num_experts": 8                                  | num_experts
            bad routing           | "routing_strategy": "topk"                        | routing_strategy: MoeRoutingStrategy: unknown value 'topk'
            bad lbl strategy      | "load_balancing_strategy": "empty_choice"         | load_balancing_strategy: MoeLoadBalancingStrategy: unknown value 'empty_choice'
            bad method            | "moe_method": "fused"                             | moe_method: MoEMethods: unknown value 'fused'
            bad dtype             | "dtype": "float16"                                | dtype: MoeDtype: unknown value 'float16'
            bad act               | "hidden_act": "gelu_new"                          | hidden_act: HiddenAct: unknown value 'gelu_new'
            enum as number        | "routing_strategy": 1                             | routing_strategy: expected a string, got 1
            null enum             | "moe_method": null                                | moe_method: expected a string, got null
            coef as string        | "lbl_coef": "0.1"                                 | lbl_coef: expected a number or null, got "0.1"
            flag as string        | "sp_is_ep_bound": "true"                          | sp_is_ep_bound: expected true or false, got "true"
            zero capacity         | "capacity_factor": 0                              | capacity_factor: 0.0 must be a finite number > 0
            negative capacity     | "capacity_factor": -1.5                           | capacity_factor: -1.5 must be a finite number > 0
            """)
    void badValuesNameTheKeyAndValue(String what, String extra, String message) {
        assertThatThrownBy(() -> parse(extra)).as(what).isInstanceOf(MoeException.class).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            k above E          | {"n_routed_experts": 4, "num_experts_per_tok": 5, "hidden_size": 8, "moe_intermediate_size": 16} | num_experts_per_tok: 5 exceeds n_routed_experts 4
            size missing       | {"n_routed_experts": 4, "num_experts_per_tok": 2, "hidden_size": 8}                              | moe_intermediate_size: required key is missing
            fractional size    | {"n_routed_experts": 4.5, "num_experts_per_tok": 2, "hidden_size": 8, "moe_intermediate_size": 16} | n_routed_experts: expected an integer, got 4.5
            zero size          | {"n_routed_experts": 4, "num_experts_per_tok": 0, "hidden_size": 8, "moe_intermediate_size": 16} | num_experts_per_tok: 0 must be a positive integer
            string size        | {"n_routed_experts": "4", "num_experts_per_tok": 2, "hidden_size": 8, "moe_intermediate_size": 16} | n_routed_experts: expected an integer, got "4"
            duplicate key      | {"n_routed_experts": 4, "n_routed_experts": 8, "num_experts_per_tok": 2, "hidden_size": 8, "moe_intermediate_size": 16} | n_routed_experts
            not an object      | [1, 2]                                                                                           | expected a JSON object
            not json           | {"n_routed_experts": }                                                                           | not valid JSON
            """)
    void badDocuments(String what, String json, String message) {
        assertThatThrownBy(() -> MoeConfigJson.parse(json)).as(what).isInstanceOf(MoeException.class)
                .hasMessageContaining(message);
    }

    /**
     * Every message is worded here once and names the document first: the given source (a file's path), or "moe
     * config" for a plain string; JSON syntax errors add the line and column, never Jackson's redacted source text.
     */
    @Test
    void messagesNameTheDocumentOnce(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws java.io.IOException {
        assertThatThrownBy(() -> MoeConfigJson.parse("{" + SIZES + ", \"dtype\": \"float16\"}", "cfg.json"))
                .isInstanceOf(MoeException.class)
                .hasMessageStartingWith("cfg.json: dtype: MoeDtype: unknown value 'float16'");
        assertThatThrownBy(() -> MoeConfigJson.parse("{\"n_routed_experts\": 4,\n  \"hidden_size\": ", "cfg.json"))
                .hasMessage("cfg.json:2:18: not valid JSON: Unexpected end-of-input within/between Object entries");
        assertThatThrownBy(() -> MoeConfigJson.parse("{" + SIZES + ", \"lbl_coef\": 0.1, \"lbl_coef\": 0.2}", "cfg.json"))
                .hasMessageStartingWith("cfg.json:1:").hasMessageContaining("not valid JSON: Duplicate field 'lbl_coef'")
                .hasMessageNotContaining("REDACTED");
        assertThatThrownBy(() -> MoeConfigJson.parse(" \n", "cfg.json"))
                .hasMessage("cfg.json: is empty; a moe config is a JSON object (keys as in docs/moe.md, e.g. n_routed_experts)");
        assertThatThrownBy(() -> MoeConfigJson.parse("{" + SIZES + ", \"moe_method\": \"fused_moe\"} {}"))
                .as("a second value after the object").hasMessageStartingWith("moe config:1:").hasMessageContaining("not valid JSON: Trailing token");
        assertThatThrownBy(() -> MoeConfigJson.parse("{\"n_routed_experts\": 4}"))
                .hasMessage("moe config: num_experts_per_tok: required key is missing");
        java.nio.file.Path f = java.nio.file.Files.writeString(tmp.resolve("moe.json"), "{\"n_routed_experts\": 4, \"top_k\": 2}");
        assertThatThrownBy(() -> MoeConfigJson.read(f)).hasMessageStartingWith(f + ": unknown key(s) [top_k]");
        assertThatThrownBy(() -> MoeConfigJson.read(tmp.resolve("absent.json"))).hasMessageStartingWith(tmp.resolve("absent.json") + ": cannot read");
    }

    /** A config copied from a Hugging Face / EasyDeL model config: each foreign key is refused with where it went. */
    @Test void easydelAndHuggingFaceKeysSayWhereTheyWent() {
        String mixtral = "{\"num_local_experts\": 8, \"num_experts_per_tok\": 2, \"hidden_size\": 16, \"intermediate_size\": 32, "
                + "\"router_aux_loss_coef\": 0.001, \"router_jitter_noise\": 0.0}";
        assertThatThrownBy(() -> MoeConfigJson.parse(mixtral, "mixtral.json")).isInstanceOf(MoeException.class)
                .hasMessageStartingWith("mixtral.json: unknown key(s) [num_local_experts, intermediate_size, router_aux_loss_coef, router_jitter_noise] (known: [")
                .hasMessageEndingWith("; num_local_experts: Hugging Face's name; here n_routed_experts"
                        + "; intermediate_size: the experts' width in a config without moe_intermediate_size (Mixtral's); here moe_intermediate_size"
                        + "; router_aux_loss_coef: the models' loss coefficient; here lbl_coef, whose standard loss is the Hugging Face "
                        + "(Mixtral) aux loss divided by k (docs/moe.md, Coming from EasyDeL)"
                        + "; router_jitter_noise: no key: multiply the hidden state by the noise in your block, before moeCall");
        assertThatThrownBy(() -> MoeConfigJson.parse("{" + SIZES + ", \"use_ring_of_experts\": true, \"norm_topk_prob\": true}", "cfg.json"))
                .hasMessageEndingWith("; use_ring_of_experts: no key: the ring is an expert-parallel mode (moe run --ep-mode ring, EpMode.RING)"
                        + "; norm_topk_prob: here routing_strategy top_k (true) or top_k_ndiv (false)");
        // Qwen2-MoE: intermediate_size beside moe_intermediate_size is the dense MLP's width; the shared expert lives outside the layer
        String qwen = "{\"num_experts\": 60, \"num_experts_per_tok\": 4, \"hidden_size\": 16, \"intermediate_size\": 5632, "
                + "\"moe_intermediate_size\": 1408, \"shared_expert_intermediate_size\": 5632, \"output_router_logits\": false}";
        assertThatThrownBy(() -> MoeConfigJson.parse(qwen, "qwen.json"))
                .hasMessageStartingWith("qwen.json: unknown key(s) [num_experts, intermediate_size, shared_expert_intermediate_size, output_router_logits] (known: [")
                .hasMessageEndingWith("; num_experts: Hugging Face's name; here n_routed_experts"
                        + "; intermediate_size: the dense MLP's width in configs that also have moe_intermediate_size (Qwen-MoE, DeepSeek, GLM), "
                        + "not part of the MoE layer: drop it"
                        + "; shared_expert_intermediate_size: the shared expert's width (Qwen-MoE); no key: the shared expert is not part of the "
                        + "MoE layer: add your own MLP of this width to moeCall's output, times sigmoid(x @ shared_expert_gate)"
                        + "; output_router_logits: no key: moeCall always returns the router logits (MoeOutput.routerLogits()); the aux loss "
                        + "it turns on is load_balancing_strategy with lbl_coef, computed when moeCall's outputMetrics is true");
        // DeepSeek-V2 / GLM-4-MoE: shared experts without a gate, a scale on the routed weights
        String deepseek = "{" + SIZES + ", \"n_shared_experts\": 2, \"routed_scaling_factor\": 2.5}";
        assertThatThrownBy(() -> MoeConfigJson.parse(deepseek, "ds.json"))
                .hasMessageEndingWith("; n_shared_experts: DeepSeek's and GLM's count of shared experts; no key: the shared experts are not part "
                        + "of the MoE layer: add your own MLP of width n_shared_experts * moe_intermediate_size to moeCall's output"
                        + "; routed_scaling_factor: DeepSeek's and GLM's factor on the routed weights; no key: multiply moeCall's output by it "
                        + "(the combine is linear in the weights), or set a refine_weights_hook that renormalizes and scales (it replaces the "
                        + "strategy's rule)");
        // a key no one else uses gets the list only
        assertThatThrownBy(() -> MoeConfigJson.parse("{" + SIZES + ", \"topk\": 2}", "cfg.json")).hasMessageEndingWith("use_expert_tensor_mode])");
        // every foreign key is really foreign: none is a key of this format
        assertThat(MoeConfigJson.FOREIGN_KEYS.keySet()).doesNotContainAnyElementsOf(MoeConfigJson.KEYS);
    }
}
