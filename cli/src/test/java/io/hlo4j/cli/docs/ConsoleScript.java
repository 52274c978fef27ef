package io.hlo4j.cli.docs;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code console} block as a list of commands: each line starting with {@code $ } is a command line, the lines
 * up to the next one its expected output (stdout and stderr as a terminal shows them).
 */
record ConsoleScript(MarkdownBlocks.Block block, List<Step> steps) {

    /** One {@code $} line: the command text, its page line, and the output lines that follow it in the page. */
    record Step(String command, int line, List<String> expected) {}

    static ConsoleScript of(MarkdownBlocks.Block b) {
        List<Step> steps = new ArrayList<>();
        String command = null;
        int line = 0;
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < b.content().size(); i++) {
            String s = b.content().get(i);
            if (s.startsWith("$ ") || s.equals("$")) {
                if (command != null) steps.add(new Step(command, line, List.copyOf(expected)));
                command = s.substring(1).strip();
                line = b.lineOf(i);
                expected.clear();
            } else if (command == null) {
                if (s.isBlank()) continue;
                throw new IllegalArgumentException(b.page() + ":" + b.lineOf(i) + ": a console block starts with a '$ ' command line;"
                        + " this one starts with output: " + s + " (label the block text or sh, or console no-run)");
            } else {
                expected.add(s);
            }
        }
        if (command != null) steps.add(new Step(command, line, List.copyOf(expected)));
        if (steps.isEmpty()) throw new IllegalArgumentException(b.where() + ": console block without a '$ ' command line");
        return new ConsoleScript(b, List.copyOf(steps));
    }
}
