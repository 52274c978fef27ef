package io.hlo4j.mlir.print;

import io.hlo4j.mlir.ir.Block;
import io.hlo4j.mlir.ir.BlockArgument;
import io.hlo4j.mlir.ir.OpResult;
import io.hlo4j.mlir.ir.Operation;
import io.hlo4j.mlir.ir.Region;
import io.hlo4j.mlir.ir.Value;
import io.hlo4j.mlir.registry.OpDef;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * SSA value and block names exactly as MLIR's printer (SSANameState) assigns them:
 * <ul>
 * <li>Each region starts from the counters its parent region had after that parent was numbered entirely,
 *     so a function starts at {@code %0}/{@code %arg0} (the module has no values), nested regions continue
 *     after the enclosing function's last value, and sibling regions (while's cond and body) restart from
 *     the same state.</li>
 * <li>Anonymous results take {@code %N}; only the first result of an op is numbered, the others are
 *     {@code %N#i}. Entry-block arguments are {@code %argN} with a counter of their own; arguments of
 *     later blocks are numbered like results.</li>
 * <li>Named stems (from {@link OpDef#resultNamer()} or {@link OpDef#blockArgumentNamer()}, pretty form only) are
 *     uniqued within the enclosing scopes by appending {@code _K}, K from one conflict counter per region
 *     ({@code %cst, %cst_0, %c, %c_1}). Naming result i > 0 starts a new result group
 *     ({@code %values, %indices = ...}).</li>
 * </ul>
 * In generic form MLIR prints unique IDs instead ({@code -mlir-print-unique-ssa-ids} is implied): the counters
 * run on across all regions, which are visited last-pushed-first (a module's last function is numbered
 * first, an op's last region before its first), and result name stems are not used.
 */
final class SsaNames {
    private final boolean generic;
    /** Whether ops' result-name stems are used (pretty form of the current profile only). */
    private final boolean nameHints;
    private final Map<Value, Integer> ids = new IdentityHashMap<>();
    private final Map<Value, String> names = new IdentityHashMap<>();
    private final Map<Operation, int[]> resultGroups = new IdentityHashMap<>();
    private final Map<Block, String> blockNames = new IdentityHashMap<>();
    private int nextValueId;
    private int nextArgumentId;
    private int nextConflictId;
    private Scope scope;

    /** Names used in one region and, through {@code parent}, in the regions enclosing it. */
    private static final class Scope {
        final Scope parent;
        final Set<String> used = new HashSet<>();
        Scope(Scope parent) { this.parent = parent; }
        boolean contains(String n) {
            for (Scope s = this; s != null; s = s.parent) if (s.used.contains(n)) return true;
            return false;
        }
    }

    private record Pending(Region region, int valueId, int argumentId, int conflictId, Scope parent) {}

    SsaNames(Operation root, boolean generic) { this(root, generic, !generic); }

    SsaNames(Operation root, boolean generic, boolean nameHints) {
        this.generic = generic;
        this.nameHints = nameHints;
        ArrayDeque<Pending> stack = new ArrayDeque<>();
        for (Region r : root.regions()) stack.push(new Pending(r, 0, 0, 0, null));
        scope = new Scope(null);
        numberOp(root);
        while (!stack.isEmpty()) {
            Pending p = stack.pop();
            if (!generic) {
                nextValueId = p.valueId;
                nextArgumentId = p.argumentId;
                nextConflictId = p.conflictId;
            }
            scope = new Scope(p.parent);
            numberRegion(p.region);
            Scope regionScope = scope;
            for (Block b : p.region.blocks()) {
                for (Operation op : b.operations()) {
                    for (Region r : op.regions()) {
                        stack.push(new Pending(r, nextValueId, nextArgumentId, nextConflictId, regionScope));
                    }
                }
            }
        }
    }

    private void numberRegion(Region region) {
        if (!generic && region.parent() != null && !region.isEmpty()) {
            String[] stems = blockArgStems(region.parent(), region);
            if (stems != null) {
                var args = region.entry().arguments();
                for (int i = 0; i < Math.min(stems.length, args.size()); i++) {
                    if (stems[i] != null) setName(args.get(i), stems[i]);
                }
            }
        }
        int nextBlockId = 0;
        for (Block b : region.blocks()) {
            blockNames.put(b, "^bb" + nextBlockId++);
            boolean entry = b == region.blocks().get(0);
            for (BlockArgument a : b.arguments()) {
                if (ids.containsKey(a) || names.containsKey(a)) continue;
                setName(a, entry ? "arg" + nextArgumentId++ : "");
            }
            for (Operation op : b.operations()) numberOp(op);
        }
    }

    private static String[] blockArgStems(Operation op, Region region) {
        OpDef def = op.def();
        if (def == null || def.blockArgumentNamer() == null) return null;
        return def.blockArgumentNamer().names(op, op.regions().indexOf(region));
    }

    private void numberOp(Operation op) {
        int[] groups = {0};
        int groupCount = 1;
        if (nameHints && op.numResults() > 0) {
            OpDef def = op.def();
            String[] stems = def == null || def.resultNamer() == null ? null : def.resultNamer().names(op);
            if (stems != null) {
                for (int i = 0; i < Math.min(stems.length, op.numResults()); i++) {
                    if (stems[i] == null) continue;
                    setName(op.result(i), stems[i]);
                    if (i != 0) {
                        if (groupCount == groups.length) groups = Arrays.copyOf(groups, groupCount * 2);
                        groups[groupCount++] = i;
                    }
                }
            }
        }
        if (op.numResults() == 0) return;
        OpResult first = op.result(0);
        if (!ids.containsKey(first) && !names.containsKey(first)) ids.put(first, nextValueId++);
        if (groupCount != 1) {
            int[] g = Arrays.copyOf(groups, groupCount);
            Arrays.sort(g);
            resultGroups.put(op, g);
        }
    }

    private void setName(Value v, String stem) {
        if (stem.isEmpty()) ids.put(v, nextValueId++);
        else names.put(v, unique(sanitize(stem)));
    }

    private String unique(String name) {
        String chosen = name;
        if (scope.contains(name)) {
            do {
                chosen = name + "_" + nextConflictId++;
            } while (scope.contains(chosen));
        }
        scope.used.add(chosen);
        return chosen;
    }

    /** MLIR's sanitizeIdentifier: keeps [A-Za-z0-9$._-], spaces become '_', other bytes hex; '_' before a digit. */
    static String sanitize(String name) {
        boolean valid = !Character.isDigit(name.charAt(0));
        for (int i = 0; i < name.length() && valid; i++) valid = validChar(name.charAt(i));
        if (valid) return name;
        StringBuilder sb = new StringBuilder();
        if (name.charAt(0) >= '0' && name.charAt(0) <= '9') sb.append('_');
        for (byte b : name.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if (validChar(c)) sb.append(c);
            else if (c == ' ') sb.append('_');
            else sb.append(Integer.toHexString(c).toUpperCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }

    private static boolean validChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || c == '$' || c == '.' || c == '_' || c == '-';
    }

    /** The result groups of {@code op} as (start, count) pairs, in order. */
    int[] groupStarts(Operation op) {
        int[] g = resultGroups.get(op);
        return g == null ? new int[] {0} : g;
    }

    String blockName(Block b) {
        String n = blockNames.get(b);
        return n != null ? n : "^<<UNKNOWN BLOCK>>";
    }

    /** {@code %name} of a value, with {@code #i} when it is result i of a multi-result group. */
    void append(StringBuilder sb, Value v, boolean printResultNo) {
        Value lookup = v;
        int resultNo = -1;
        if (v instanceof OpResult r && r.owner().numResults() != 1) {
            Operation owner = r.owner();
            int[] groups = resultGroups.get(owner);
            if (groups == null) {
                resultNo = r.index();
                lookup = owner.result(0);
            } else {
                int gi = 0;
                while (gi + 1 < groups.length && groups[gi + 1] <= r.index()) gi++;
                int start = groups[gi];
                int size = (gi + 1 < groups.length ? groups[gi + 1] : owner.numResults()) - start;
                if (size != 1) resultNo = r.index() - start;
                lookup = owner.result(start);
            }
        }
        Integer id = ids.get(lookup);
        if (id != null) sb.append('%').append(id.intValue());
        else {
            String name = names.get(lookup);
            if (name == null) {
                sb.append("<<UNKNOWN SSA VALUE>>");
                return;
            }
            sb.append('%').append(name);
        }
        if (resultNo != -1 && printResultNo) sb.append('#').append(resultNo);
    }
}
