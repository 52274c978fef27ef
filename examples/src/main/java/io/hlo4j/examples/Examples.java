package io.hlo4j.examples;

import java.util.List;

/** The registry of examples ({@code ./hlo4j examples list} will read it) and a main to run one by name. */
public final class Examples {
    private Examples() {}

    public static List<Example> all() { return List.of(new MlpRegression(), new MoeRegression(), new MixtralLm()); }

    public static Example byName(String name) {
        for (Example e : all()) if (e.name().equals(name)) return e;
        throw new IllegalArgumentException("no example '" + name + "'; known: " + all().stream().map(Example::name).toList());
    }

    /** {@code Examples list} or {@code Examples run NAME}. */
    public static void main(String[] args) {
        if (args.length == 0 || args[0].equals("list")) {
            for (Example e : all()) System.out.println(e.name() + "\t" + e.description());
            return;
        }
        if (args[0].equals("run") && args.length == 2) {
            byName(args[1]).run(System.out);
            return;
        }
        System.err.println("usage: Examples list | Examples run NAME");
        System.exit(2);
    }
}
