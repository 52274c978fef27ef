package io.hlo4j.mlir.dialect.sdy;

import io.hlo4j.mlir.asm.AsmParser;
import io.hlo4j.mlir.attr.DialectAttribute;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code #sdy.op_sharding_rule<([i, j], [j, k])->([i, k]) {i=8, j=32, k=16} reduction={j}, custom>}: how an
 * op's tensor dimensions map to shared factors. Each tensor mapping lists, per dimension, the factors it is
 * made of (a dimension written {@code ij} is factor i major, j minor). Factors are numbered from 0 and
 * spelled i..z, then z_1, z_2, ...
 */
public record OpShardingRule(List<List<List<Integer>>> operandMappings, List<List<List<Integer>>> resultMappings,
                             List<Long> factorSizes, List<Integer> reductionFactors, List<Integer> needReplicationFactors,
                             List<Integer> permutationFactors, List<Integer> blockedPropagationFactors, boolean isCustomRule)
        implements DialectAttribute {
    /** Factor index of 'z'; later factors are z_1, z_2, ... */
    private static final int Z = 'z' - 'i';
    private static final List<String> KINDS = List.of("reduction", "need_replication", "permutation", "blocked_propagation");

    public OpShardingRule {
        operandMappings = deepCopy(operandMappings);
        resultMappings = deepCopy(resultMappings);
        factorSizes = List.copyOf(factorSizes);
        reductionFactors = List.copyOf(reductionFactors);
        needReplicationFactors = List.copyOf(needReplicationFactors);
        permutationFactors = List.copyOf(permutationFactors);
        blockedPropagationFactors = List.copyOf(blockedPropagationFactors);
    }

    private static List<List<List<Integer>>> deepCopy(List<List<List<Integer>>> m) {
        return m.stream().map(t -> t.stream().map(List::copyOf).toList()).toList();
    }

    public int numFactors() { return factorSizes.size(); }

    /** The factors dimension {@code dim} of operand {@code operand} is made of, major to minor. */
    public List<Integer> operandDimFactors(int operand, int dim) { return operandMappings.get(operand).get(dim); }

    public List<Integer> resultDimFactors(int result, int dim) { return resultMappings.get(result).get(dim); }

    /** {@code i}, ..., {@code z}, {@code z_1}, ... */
    public static String factorSymbol(int index) {
        return index <= Z ? String.valueOf((char) ('i' + index)) : "z_" + (index - Z);
    }

    @Override public String name() { return "sdy.op_sharding_rule"; }

    @Override public String toString() {
        StringBuilder sb = new StringBuilder("#sdy.op_sharding_rule<(");
        appendMappings(sb, operandMappings);
        sb.append(")->(");
        appendMappings(sb, resultMappings);
        sb.append(')');
        if (!factorSizes.isEmpty()) {
            sb.append(" {");
            for (int i = 0; i < factorSizes.size(); i++) sb.append(i == 0 ? "" : ", ").append(factorSymbol(i)).append('=').append(factorSizes.get(i));
            sb.append('}');
        }
        List<List<Integer>> special = List.of(reductionFactors, needReplicationFactors, permutationFactors, blockedPropagationFactors);
        for (int k = 0; k < KINDS.size(); k++) {
            if (special.get(k).isEmpty()) continue;
            sb.append(' ').append(KINDS.get(k)).append("={");
            for (int i = 0; i < special.get(k).size(); i++) sb.append(i == 0 ? "" : ", ").append(factorSymbol(special.get(k).get(i)));
            sb.append('}');
        }
        if (isCustomRule) sb.append(", custom");
        return sb.append('>').toString();
    }

    private static void appendMappings(StringBuilder sb, List<List<List<Integer>>> mappings) {
        for (int t = 0; t < mappings.size(); t++) {
            sb.append(t == 0 ? "[" : ", [");
            List<List<Integer>> dims = mappings.get(t);
            for (int d = 0; d < dims.size(); d++) {
                if (d > 0) sb.append(", ");
                for (int f : dims.get(d)) sb.append(factorSymbol(f));
            }
            sb.append(']');
        }
    }

    // ---- parsing --------------------------------------------------------------------------------

    /** Reads the text after {@code #sdy.op_sharding_rule}, starting at '<'. */
    static OpShardingRule parse(AsmParser p) {
        p.expect("<");
        List<List<List<Integer>>> operands = mappings(p);
        p.expect("->");
        List<List<List<Integer>>> results = mappings(p);
        List<Long> sizes = new ArrayList<>();
        if (p.consumeIf("{")) {
            if (!p.consumeIf("}")) {
                do {
                    String sym = p.parseKeyword();
                    List<Integer> idx = symbols(p, sym);
                    if (idx.size() != 1) throw p.error("expecting single factor symbol: " + sym);
                    if (idx.get(0) != sizes.size()) {
                        throw p.error("expecting factor indices to be ordered like an iota; expected '" + factorSymbol(sizes.size())
                                + "', received '" + sym + "'");
                    }
                    p.expect("=");
                    sizes.add(p.parseInteger());
                } while (p.consumeIf(","));
                p.expect("}");
            }
        }
        List<List<Integer>> special = new ArrayList<>(List.of(List.of(), List.of(), List.of(), List.of()));
        for (int k = 0; k < KINDS.size(); k++) {
            if (!p.consumeKeywordIf(KINDS.get(k))) continue;
            p.expect("=");
            p.expect("{");
            List<Integer> fs = new ArrayList<>();
            if (!p.consumeIf("}")) {
                do fs.addAll(symbols(p, p.parseKeyword())); while (p.consumeIf(","));
                p.expect("}");
            }
            special.set(k, fs);
        }
        boolean custom = false;
        if (p.consumeIf(",")) {
            p.expectKeyword("custom");
            custom = true;
        }
        p.expect(">");
        return new OpShardingRule(operands, results, sizes, special.get(0), special.get(1), special.get(2), special.get(3), custom);
    }

    /** {@code ([i, j], [])}. */
    private static List<List<List<Integer>>> mappings(AsmParser p) {
        p.expect("(");
        List<List<List<Integer>>> out = new ArrayList<>();
        if (!p.consumeIf(")")) {
            do {
                p.expect("[");
                List<List<Integer>> dims = new ArrayList<>();
                if (!p.consumeIf("]")) {
                    do dims.add(symbols(p, p.parseKeyword())); while (p.consumeIf(","));
                    p.expect("]");
                }
                out.add(dims);
            } while (p.consumeIf(","));
            p.expect(")");
        }
        return out;
    }

    /** Splits a run of factor symbols ({@code ij}, {@code z_8z_9}) into indices. */
    private static List<Integer> symbols(AsmParser p, String s) {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            if (s.startsWith("z_", i)) {
                int j = i + 2;
                while (j < s.length() && Character.isDigit(s.charAt(j))) j++;
                if (j == i + 2) throw p.error("expecting a number after 'z_' in factor symbols '" + s + "'");
                out.add(Z + Integer.parseInt(s.substring(i + 2, j)));
                i = j;
            } else {
                char c = s.charAt(i);
                if (c < 'i' || c > 'z') throw p.error("expecting symbol from 'i' to 'z'. Received: '" + c + "' in '" + s + "'");
                out.add(c - 'i');
                i++;
            }
        }
        return out;
    }
}
