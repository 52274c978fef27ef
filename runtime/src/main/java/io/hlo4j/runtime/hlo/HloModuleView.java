package io.hlo4j.runtime.hlo;

import io.hlo4j.runtime.hlo.proto.HloComputationProto;
import io.hlo4j.runtime.hlo.proto.HloInstructionProto;
import io.hlo4j.runtime.hlo.proto.HloModuleProto;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Id lookups over a decoded module: instructions by id (per computation first, since older XLA
 * numbered them per computation; then module-wide) and computations by id. Missing ids are errors
 * that name the instruction and the id.
 */
final class HloModuleView {
    final HloModuleProto module;
    private final Map<Long, HloComputationProto> computations = new HashMap<>();
    private final Map<String, Map<Long, HloInstructionProto>> local = new HashMap<>();
    private final Map<Long, HloInstructionProto> global = new HashMap<>();

    HloModuleView(HloModuleProto module) {
        this.module = module;
        for (HloComputationProto c : module.getComputationsList()) {
            computations.put(c.getId(), c);
            Map<Long, HloInstructionProto> m = new HashMap<>();
            for (HloInstructionProto i : c.getInstructionsList()) {
                m.put(i.getId(), i);
                global.putIfAbsent(i.getId(), i);
            }
            local.put(c.getName(), m);
        }
    }

    /** The entry: by id, else by name, else the last computation (callers come after callees). */
    HloComputationProto entry() {
        List<HloComputationProto> cs = module.getComputationsList();
        if (cs.isEmpty()) throw new IllegalArgumentException("HLO module '" + module.getName() + "' has no computations");
        if (module.getEntryComputationId() != 0 && computations.containsKey(module.getEntryComputationId()))
            return computations.get(module.getEntryComputationId());
        for (HloComputationProto c : cs) if (c.getName().equals(module.getEntryComputationName())) return c;
        return cs.getLast();
    }

    HloInstructionProto instruction(HloComputationProto in, long id, HloInstructionProto user) {
        HloInstructionProto i = local.get(in.getName()).get(id);
        if (i == null) i = global.get(id);
        if (i == null)
            throw new IllegalArgumentException("HLO instruction %" + user.getName() + " in %" + in.getName() + " refers to instruction id "
                    + id + ", which the module does not have");
        return i;
    }

    HloComputationProto computation(long id, HloInstructionProto user) {
        HloComputationProto c = computations.get(id);
        if (c == null)
            throw new IllegalArgumentException("HLO instruction %" + user.getName() + " calls computation id " + id + ", which the module does not have");
        return c;
    }

    HloInstructionProto root(HloComputationProto c) {
        for (HloInstructionProto i : c.getInstructionsList()) if (i.getId() == c.getRootId()) return i;
        if (c.getInstructionsCount() == 0) throw new IllegalArgumentException("HLO computation %" + c.getName() + " is empty");
        return c.getInstructions(c.getInstructionsCount() - 1);
    }
}
