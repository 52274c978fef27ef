package io.hlo4j.cli.docs;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The file utilities a console example may use, each with the options the docs need and GNU coreutils'
 * output for them: {@code cat FILE...}, {@code ls [DIR]} (one name a line, as when piped), {@code head}/{@code tail}
 * {@code -N | -n N}, {@code grep [-v] [-c] REGEX} (Java regex), {@code sed -n 'A,Bp' | 'Ap'} (A, B: a line number,
 * {@code $} or {@code /REGEX/}) and {@code wc -l}. Each reads its file arguments or else the pipe.
 */
final class Builtins {
    private Builtins() {}

    static int cat(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        if (args.isEmpty()) { out.print(stdin == null ? "" : stdin); return 0; }
        int code = 0;
        for (String a : args) {
            Path p = Path.of(a);
            if (!Files.isRegularFile(p)) { err.println("cat: " + a + ": No such file or directory"); code = 1; continue; }
            out.print(Files.readString(p));
        }
        out.flush();
        return code;
    }

    static int ls(List<String> args, PrintWriter out, PrintWriter err) throws IOException {
        if (args.size() > 1 || (!args.isEmpty() && args.get(0).startsWith("-"))) throw unsupported("ls", args);
        Path dir = Path.of(args.isEmpty() ? "." : args.get(0));
        if (!Files.isDirectory(dir)) {
            err.println("ls: cannot access '" + (args.isEmpty() ? "." : args.get(0)) + "': No such file or directory");
            return 2;
        }
        try (Stream<Path> s = Files.list(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().forEach(out::println);
        }
        return 0;
    }

    static int head(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        Counted c = counted("head", args, stdin);
        List<String> lines = c.lines();
        lines.subList(0, Math.min(c.n(), lines.size())).forEach(out::println);
        return 0;
    }

    static int tail(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        Counted c = counted("tail", args, stdin);
        List<String> lines = c.lines();
        lines.subList(Math.max(0, lines.size() - c.n()), lines.size()).forEach(out::println);
        return 0;
    }

    private record Counted(int n, List<String> lines) {}

    private static Counted counted(String name, List<String> args, String stdin) throws IOException {
        List<String> rest = new ArrayList<>(args);
        int n = 10;
        if (!rest.isEmpty() && rest.get(0).matches("-\\d+")) n = Integer.parseInt(rest.remove(0).substring(1));
        else if (rest.size() >= 2 && rest.get(0).equals("-n")) { rest.remove(0); n = Integer.parseInt(rest.remove(0)); }
        if (rest.size() > 1 || (!rest.isEmpty() && rest.get(0).startsWith("-"))) throw unsupported(name, args);
        return new Counted(n, input(name, rest, stdin));
    }

    static int grep(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        List<String> rest = new ArrayList<>(args);
        boolean invert = false, count = false;
        while (!rest.isEmpty() && rest.get(0).startsWith("-") && rest.get(0).length() > 1) {
            String f = rest.remove(0);
            for (char c : f.substring(1).toCharArray()) {
                if (c == 'v') invert = true;
                else if (c == 'c') count = true;
                else if (c != 'E') throw unsupported("grep", args);
            }
        }
        if (rest.isEmpty() || rest.size() > 2) throw unsupported("grep", args);
        Pattern p = Pattern.compile(rest.remove(0));
        int matched = 0;
        for (String l : input("grep", rest, stdin)) {
            if (p.matcher(l).find() != invert) {
                matched++;
                if (!count) out.println(l);
            }
        }
        if (count) out.println(matched);
        return matched > 0 ? 0 : 1;
    }

    static int sed(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        if (args.size() < 2 || !args.get(0).equals("-n") || !args.get(1).endsWith("p") || args.size() > 3) throw unsupported("sed", args);
        String range = args.get(1).substring(0, args.get(1).length() - 1);
        List<String> lines = input("sed", args.subList(2, args.size()), stdin);
        String[] ends = splitRange(range);
        boolean in = false;
        String endAddr = ends.length == 2 ? ends[1] : ends[0];
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!in) {
                if (!matches(ends[0], l, i, lines.size())) continue;
                out.println(l);
                // A range's end is looked for from the next line on (as sed does); a single address prints one line.
                in = ends.length == 2 && !(isNumber(endAddr) && Integer.parseInt(endAddr) <= i + 1);
            } else {
                out.println(l);
                if (matches(endAddr, l, i, lines.size())) in = false;
            }
        }
        return 0;
    }

    private static String[] splitRange(String range) {
        // A comma outside /.../ separates the addresses.
        boolean inRe = false;
        for (int i = 0; i < range.length(); i++) {
            char c = range.charAt(i);
            if (c == '/' && (i == 0 || range.charAt(i - 1) != '\\')) inRe = !inRe;
            else if (c == ',' && !inRe) return new String[] {range.substring(0, i), range.substring(i + 1)};
        }
        return new String[] {range};
    }

    private static boolean isNumber(String a) { return a.matches("\\d+"); }

    private static boolean matches(String addr, String line, int index, int count) {
        if (addr.equals("$")) return index == count - 1;
        if (isNumber(addr)) return index + 1 == Integer.parseInt(addr);
        if (addr.length() >= 2 && addr.startsWith("/") && addr.endsWith("/")) {
            return Pattern.compile(addr.substring(1, addr.length() - 1)).matcher(line).find();
        }
        throw new IllegalArgumentException("the docs test's sed does not understand the address '" + addr + "'");
    }

    static int wc(List<String> args, String stdin, PrintWriter out, PrintWriter err) throws IOException {
        if (args.isEmpty() || !args.get(0).equals("-l") || args.size() > 2) throw unsupported("wc", args);
        List<String> lines = input("wc", args.subList(1, args.size()), stdin);
        out.println(args.size() == 2 ? lines.size() + " " + args.get(1) : Integer.toString(lines.size()));
        return 0;
    }

    private static List<String> input(String name, List<String> files, String stdin) throws IOException {
        if (files.isEmpty()) {
            if (stdin == null) throw new IllegalArgumentException(name + " needs a file or a pipe");
            return stdin.isEmpty() ? new ArrayList<>() : new ArrayList<>(List.of(stdin.split("\n", -1)).subList(0, count(stdin)));
        }
        Path p = Path.of(files.get(0));
        if (!Files.isRegularFile(p)) throw new IllegalArgumentException(name + ": " + files.get(0) + ": no such file");
        return new ArrayList<>(Files.readAllLines(p));
    }

    /** Lines in text, a last line without its newline included. */
    private static int count(String text) {
        String[] parts = text.split("\n", -1);
        return text.endsWith("\n") ? parts.length - 1 : parts.length;
    }

    private static IllegalArgumentException unsupported(String name, List<String> args) {
        return new IllegalArgumentException("the docs test's " + name + " does not support: " + name + " " + String.join(" ", args));
    }
}
