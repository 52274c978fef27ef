package io.hlo4j.runtime.conformance;

import java.util.ArrayList;
import java.util.List;

/**
 * One RUN line that runs {@code stablehlo-translate --interpret}, as far as hlo4j reproduces it: the
 * interpreter flags, a leading {@code not} (the run must fail), {@code 2>&1} (errors join the piped output),
 * and the {@code FileCheck} stage with its prefixes ({@code checkPrefixes} null when the output is not checked).
 * Flags or stages hlo4j does not reproduce are refused by name.
 */
public record ToolRun(String line, boolean negated, boolean splitInput, boolean printDense, String args,
                      boolean probeDir, boolean stderrToStdout, List<String> checkPrefixes) {

    /** The run this RUN line asks for; null when it does not run the interpreter. */
    public static ToolRun parse(String line) {
        List<List<String>> stages = stages(line);
        int t = -1;
        for (int i = 0; i < stages.size(); i++) {
            List<String> s = command(stages.get(i));
            if (!s.isEmpty() && s.get(0).equals("stablehlo-translate") && s.contains("--interpret")) t = i;
        }
        if (t < 0) return null;
        List<String> stage = stages.get(t);
        boolean negated = stage.get(0).equals("not");
        List<String> cmd = command(stage);
        boolean split = false, dense = false, probe = false, merged = false;
        String args = null;
        for (String tok : cmd.subList(1, cmd.size())) {
            if (tok.equals("--interpret")) continue;
            if (tok.equals("--split-input-file") || tok.equals("-split-input-file")) split = true;
            else if (tok.equals("--interpreter-print-dense")) dense = true;
            else if (tok.startsWith("--args=")) args = tok.substring(7);
            else if (tok.startsWith("--probe-output-dir=")) probe = true;
            else if (tok.equals("2>&1")) merged = true;
            else if (tok.startsWith("%")) continue; // the input: the file itself (earlier stages are not reproduced)
            else throw new IllegalArgumentException("RUN line `" + line + "`: stablehlo-translate flag " + tok + " is not supported");
        }
        List<String> prefixes = null;
        for (List<String> after : stages.subList(t + 1, stages.size())) {
            if (after.isEmpty() || !after.get(0).equals("FileCheck") || prefixes != null) {
                throw new IllegalArgumentException("RUN line `" + line + "`: only one FileCheck stage may read the interpreter's output, got "
                        + String.join(" ", after));
            }
            prefixes = new ArrayList<>();
            for (String tok : after.subList(1, after.size())) {
                if (tok.equals("%s")) continue;
                if (tok.startsWith("--check-prefix=") || tok.startsWith("-check-prefix=")) prefixes.add(tok.substring(tok.indexOf('=') + 1));
                else if (tok.startsWith("--check-prefixes=") || tok.startsWith("-check-prefixes=")) {
                    for (String p : tok.substring(tok.indexOf('=') + 1).split(",")) prefixes.add(p);
                } else {
                    throw new IllegalArgumentException("RUN line `" + line + "`: FileCheck option " + tok + " is not supported");
                }
            }
            if (prefixes.isEmpty()) prefixes.add("CHECK");
        }
        return new ToolRun(line, negated, split, dense, args, probe, merged, prefixes == null ? null : List.copyOf(prefixes));
    }

    /** A stage's command: without a leading {@code not}, and for {@code xargs -I{X} cmd ...} the command xargs runs. */
    private static List<String> command(List<String> stage) {
        int i = 0;
        if (i < stage.size() && stage.get(i).equals("not")) i++;
        if (i < stage.size() && stage.get(i).equals("xargs")) {
            i++;
            while (i < stage.size() && stage.get(i).startsWith("-")) i += stage.get(i).equals("-I") ? 2 : 1;
        }
        return stage.subList(Math.min(i, stage.size()), stage.size());
    }

    /** Splits a shell command line into pipeline stages of words (single and double quotes group, and are removed). */
    static List<List<String>> stages(String line) {
        List<List<String>> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        StringBuilder w = null;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else w.append(c);
            } else if (c == '"' || c == '\'') {
                quote = c;
                if (w == null) w = new StringBuilder();
            } else if (Character.isWhitespace(c) || c == '|') {
                if (w != null) cur.add(w.toString());
                w = null;
                if (c == '|') {
                    out.add(cur);
                    cur = new ArrayList<>();
                }
            } else {
                if (w == null) w = new StringBuilder();
                w.append(c);
            }
        }
        if (quote != 0) throw new IllegalArgumentException("RUN line `" + line + "`: unterminated quote");
        if (w != null) cur.add(w.toString());
        out.add(cur);
        return out;
    }
}
