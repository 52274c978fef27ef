package io.hlo4j.cli.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The fenced code blocks of one Markdown page. A fence is a line starting with three backticks (up to three
 * spaces of indent, as CommonMark allows); its info string is a language and optional flags
 * ({@code console no-run}, {@code text output}, {@code mlir file=docs/examples/x.mlir}).
 */
record MarkdownBlocks(String page, List<Block> blocks) {

    /** One fenced block: {@code line} is the 1-based line of the opening fence; content lines follow it. */
    record Block(String page, int line, String lang, Set<String> flags, String file, List<String> content) {
        String where() { return page + ":" + line; }

        boolean has(String flag) { return flags.contains(flag); }

        /** The 1-based page line of content line {@code i} (0-based). */
        int lineOf(int i) { return line + 1 + i; }
    }

    static MarkdownBlocks read(Path root, Path file) throws IOException {
        String page = root.relativize(file).toString().replace('\\', '/');
        return parse(page, Files.readAllLines(file));
    }

    static MarkdownBlocks parse(String page, List<String> lines) {
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String open = lines.get(i);
            String fence = fence(open);
            if (fence == null) { i++; continue; }
            int start = i;
            String info = open.strip().substring(fence.length()).strip();
            List<String> content = new ArrayList<>();
            i++;
            while (i < lines.size() && !closes(lines.get(i), fence)) content.add(lines.get(i++));
            if (i == lines.size()) throw new IllegalArgumentException(page + ":" + (start + 1) + ": code block is never closed");
            i++; // the closing fence
            blocks.add(block(page, start + 1, info, content));
        }
        return new MarkdownBlocks(page, blocks);
    }

    private static Block block(String page, int line, String info, List<String> content) {
        String[] words = info.isEmpty() ? new String[0] : info.split("\\s+");
        String lang = words.length == 0 ? "" : words[0];
        Set<String> flags = new java.util.LinkedHashSet<>();
        String file = null;
        for (int w = 1; w < words.length; w++) {
            if (words[w].startsWith("file=")) file = words[w].substring("file=".length());
            else flags.add(words[w]);
        }
        return new Block(page, line, lang, Set.copyOf(flags), file, List.copyOf(content));
    }

    /** The backtick run opening a fence (three or more), or null. */
    private static String fence(String line) {
        String s = line.stripLeading();
        if (line.length() - s.length() > 3 || !s.startsWith("```")) return null;
        int n = 0;
        while (n < s.length() && s.charAt(n) == '`') n++;
        if (s.substring(n).contains("`")) return null; // inline code, not a fence
        return s.substring(0, n);
    }

    private static boolean closes(String line, String fence) {
        String s = line.strip();
        return s.startsWith(fence) && s.chars().allMatch(c -> c == '`');
    }
}
