package io.hlo4j.examples;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The examples a class loader offers: every {@link Example} listed in a {@code META-INF/services/io.hlo4j.examples.Example}
 * file it sees. The bundled ones are listed in this module's own file, so they are found the way a user's are
 * ({@code hlo4j dump --classpath my.jar}: the jar's file, through a child loader that also sees this module's).
 */
public final class Examples {
    private Examples() {}

    /** The bundled examples. */
    public static List<Example> all() { return load(Examples.class.getClassLoader()); }

    /** Every example {@code loader} offers, the parent's (the bundled ones) first, each file in its order. */
    public static List<Example> load(ClassLoader loader) {
        List<Example> out = new ArrayList<>();
        for (Example e : ServiceLoader.load(Example.class, loader)) out.add(e);
        return out;
    }

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
