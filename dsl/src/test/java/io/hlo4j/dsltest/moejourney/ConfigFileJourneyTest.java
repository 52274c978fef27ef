package io.hlo4j.dsltest.moejourney;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hlo4j.dsl.moe.MoeConfig;
import io.hlo4j.dsl.moe.MoeConfigJson;
import io.hlo4j.dsl.moe.MoeDtype;
import io.hlo4j.dsl.moe.MoeException;
import io.hlo4j.dsl.moe.MoeRoutingStrategy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Day five: the config moves to a JSON file, written by hand as an EasyDeL user writes one, with that user's typical
 * mistakes. Each is refused with the file, the key and the value; the corrected file reads back as the config the
 * Java builder makes.
 */
class ConfigFileJourneyTest {
    static final String GOOD = """
            {
              "n_routed_experts": 8,
              "num_experts_per_tok": 2,
              "hidden_size": 16,
              "moe_intermediate_size": 32,
              "routing_strategy": "top_k",
              "lbl_coef": 0.01,
              "rzl_coef": 0.001,
              "dtype": "bfloat16"
            }
            """;

    static String with(String from, String to) {
        assertThat(GOOD).contains(from);
        return GOOD.replace(from, to);
    }

    @Test
    void eachMistakeIsRefusedWithTheFileTheKeyAndTheValue(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("moe.json");
        Files.writeString(f, GOOD);
        MoeConfig cfg = MoeConfigJson.read(f);
        assertThat(cfg).isEqualTo(MoeConfig.of(8, 2, 16, 32).withLoadBalancing(cfg.loadBalancingStrategy(), 0.01).withRouterZLoss(0.001)
                .withDtype(MoeDtype.BFLOAT16));
        assertThat(cfg.routingStrategy()).isEqualTo(MoeRoutingStrategy.TOP_K);

        // {the text, what the message must hold}
        String[][] mistakes = {
                {with("\"num_experts_per_tok\"", "\"num_expert_per_tok\""), "num_expert_per_tok"},           // a typo: unknown key
                {with("\"num_experts_per_tok\": 2", "\"num_experts_per_tok\": 9"), "num_experts_per_tok: 9 exceeds n_routed_experts 8"},
                {with("\"bfloat16\"", "\"bf16\""), "dtype", "bf16"},                                             // jnp's short name
                {with("\"bfloat16\"", "\"float16\""), "dtype", "float16"},
                {with("\"top_k\"", "\"topk\""), "routing_strategy", "topk"},
                {with("\"hidden_size\": 16", "\"hidden_size\": \"16\""), "hidden_size: expected an integer, got \"16\""},
                {with("\"hidden_size\": 16", "\"hidden_size\": 16.5"), "hidden_size", "16.5"},
                {with("\"n_routed_experts\": 8", "\"n_routed_experts\": 0"), "n_routed_experts: 0 must be a positive integer"},
                {with("\"lbl_coef\": 0.01", "\"lbl_coef\": \"0.01\""), "lbl_coef: expected a number or null, got \"0.01\""},
                {with("\"rzl_coef\": 0.001,", "\"rzl_coef\": 0.001, \"rzl_coef\": 0.01,"), "rzl_coef"},   // duplicated
                {with("\"moe_intermediate_size\": 32,", ""), "moe_intermediate_size"},                          // missing
        };
        List<String> wrong = new ArrayList<>();
        for (String[] m : mistakes) {
            Files.writeString(f, m[0]);
            try {
                assertThatThrownBy(() -> MoeConfigJson.read(f)).isInstanceOf(MoeException.class).satisfies(e -> {
                    assertThat(e.getMessage()).startsWith(f.toString() + ":");
                    for (int i = 1; i < m.length; i++) assertThat(e.getMessage()).contains(m[i]);
                });
            } catch (AssertionError e) {
                wrong.add(e.getMessage());
            }
        }
        assertThat(wrong).isEmpty();
    }
}
