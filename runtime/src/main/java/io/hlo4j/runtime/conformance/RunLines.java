package io.hlo4j.runtime.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * What a conformance file's {@code // RUN:} lines ask for: the {@code stablehlo-translate --interpret} runs
 * (each with its flags, whether it is expected to fail, and the FileCheck that reads its output), or, when there
 * is none, only parse/print. RUN lines of other tools (stablehlo-opt passes, serialization round trips, diff)
 * are not reproduced: the interpreter runs the file itself.
 */
public record RunLines(List<ToolRun> runs) {
    public boolean interpret() { return !runs.isEmpty(); }

    public String mode() { return interpret() ? "interpret" : "round-trip"; }

    /** Reads every RUN line (a line continued with a trailing {@code \} joins the next). */
    public static RunLines of(String text) {
        List<ToolRun> runs = new ArrayList<>();
        StringBuilder pending = null;
        for (String line : text.split("\n", -1)) {
            String l = line.strip();
            if (!l.startsWith("// RUN:")) continue;
            String body = l.substring(7).strip();
            if (pending != null) body = pending + " " + body;
            if (body.endsWith("\\")) {
                pending = new StringBuilder(body.substring(0, body.length() - 1).strip());
                continue;
            }
            pending = null;
            ToolRun r = ToolRun.parse(body);
            if (r != null) runs.add(r);
        }
        return new RunLines(List.copyOf(runs));
    }
}
