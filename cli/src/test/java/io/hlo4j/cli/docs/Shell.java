package io.hlo4j.cli.docs;

import java.util.ArrayList;
import java.util.List;

/**
 * The small part of POSIX shell syntax that the docs' console lines use: words with single and double quotes
 * and backslash escapes, {@code $?}, pipes ({@code |}) and sequences ({@code ;}). Anything else (redirections,
 * {@code &&}, {@code $(...)}, globs, other variables) is refused by name, so a page cannot show a command that
 * the docs test would run differently from a real shell.
 */
final class Shell {
    private Shell() {}

    /** Stands for {@code $?} inside a word until the command runs. */
    static final char STATUS = '\u0000';

    /** A command line: pipelines run one after another; each pipeline is stages, each stage its words. */
    record Line(List<List<List<String>>> pipelines) {}

    static Line parse(String text) {
        List<List<List<String>>> pipelines = new ArrayList<>();
        List<List<String>> pipeline = new ArrayList<>();
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == ' ' || c == '\t') {
                if (word != null) { words.add(word.toString()); word = null; }
                i++;
            } else if (c == '|' || c == ';') {
                if (word != null) { words.add(word.toString()); word = null; }
                if (c == '|' && i + 1 < text.length() && text.charAt(i + 1) == '|') throw refuse(text, "'||'");
                if (words.isEmpty()) throw refuse(text, "an empty command before '" + c + "'");
                pipeline.add(words);
                words = new ArrayList<>();
                if (c == ';') { pipelines.add(pipeline); pipeline = new ArrayList<>(); }
                i++;
            } else if (c == '\'') {
                int end = text.indexOf('\'', i + 1);
                if (end < 0) throw refuse(text, "an unclosed single quote");
                if (word == null) word = new StringBuilder();
                word.append(text, i + 1, end);
                i = end + 1;
            } else if (c == '"') {
                if (word == null) word = new StringBuilder();
                i++;
                while (true) {
                    if (i >= text.length()) throw refuse(text, "an unclosed double quote");
                    char d = text.charAt(i);
                    if (d == '"') { i++; break; }
                    if (d == '\\' && i + 1 < text.length() && "\"\\$`".indexOf(text.charAt(i + 1)) >= 0) {
                        word.append(text.charAt(i + 1));
                        i += 2;
                    } else if (d == '$') {
                        i = dollar(text, i, word);
                    } else if (d == '`') {
                        throw refuse(text, "command substitution");
                    } else {
                        word.append(d);
                        i++;
                    }
                }
            } else if (c == '\\') {
                if (i + 1 >= text.length()) throw refuse(text, "a line continuation");
                if (word == null) word = new StringBuilder();
                word.append(text.charAt(i + 1));
                i += 2;
            } else if (c == '$') {
                if (word == null) word = new StringBuilder();
                i = dollar(text, i, word);
            } else if ("<>&`*?[#".indexOf(c) >= 0 && !(c == '#' && word != null)) {
                throw refuse(text, "'" + c + "' (redirections, background jobs, globs and comments are not supported)");
            } else {
                if (word == null) word = new StringBuilder();
                word.append(c);
                i++;
            }
        }
        if (word != null) words.add(word.toString());
        if (!words.isEmpty()) pipeline.add(words);
        else if (!pipeline.isEmpty()) throw refuse(text, "a pipe with nothing after it");
        if (!pipeline.isEmpty()) pipelines.add(pipeline);
        if (pipelines.isEmpty()) throw refuse(text, "an empty command line");
        return new Line(pipelines);
    }

    private static int dollar(String text, int i, StringBuilder word) {
        if (i + 1 < text.length() && text.charAt(i + 1) == '?') {
            word.append(STATUS);
            return i + 2;
        }
        throw refuse(text, "'$' other than $? (variables and substitutions are not supported)");
    }

    private static IllegalArgumentException refuse(String text, String what) {
        return new IllegalArgumentException("the docs test's shell does not support " + what + " in: " + text);
    }
}
