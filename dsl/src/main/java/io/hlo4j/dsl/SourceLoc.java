package io.hlo4j.dsl;

import io.hlo4j.mlir.ir.Location;

import java.util.Optional;

/**
 * The user's source line: the first stack frame outside hlo4j's library packages (and the JDK's reflection and
 * lambda plumbing), as {@code loc("File.java":line:0)}. Java frames carry no column, so it is 0. The walk is
 * lazy and stops at the first user frame, so its cost is a few frames per op.
 */
public final class SourceLoc {
    private SourceLoc() {}

    private static final StackWalker WALKER = StackWalker.getInstance();
    private static final String[] LIBRARY = {"io.hlo4j.dsl.", "io.hlo4j.mlir.", "io.hlo4j.runtime.", "io.hlo4j.compiler.",
            "java.", "jdk.", "sun."};

    /** Set while a tool traces one of hlo4j's built-in models (see {@link #asBuiltin}). */
    private static final ThreadLocal<Location> BUILTIN = new ThreadLocal<>();

    public static Location here() {
        Location builtin = BUILTIN.get();
        if (builtin != null) return builtin;
        Optional<StackWalker.StackFrame> f = WALKER.walk(s -> s.filter(fr -> !isLibrary(fr.getClassName())).findFirst());
        if (f.isEmpty()) return Location.UNKNOWN;
        StackWalker.StackFrame fr = f.get();
        String file = fr.getFileName();
        if (file == null) return new Location.Named(fr.getClassName() + "." + fr.getMethodName(), Location.UNKNOWN);
        return new Location.FileLineCol(file, fr.getLineNumber(), 0);
    }

    /**
     * Runs {@code body} (on this thread) with every location it records set to {@code loc("hlo4j.builtin.<model>")}: a
     * tool tracing a built-in model (the CLI's {@code dump}, {@code moe run}, {@code demo}) would otherwise stamp its own
     * Java line, which means nothing to its user, on every op and error.
     */
    public static <T, E extends Exception> T asBuiltin(String model, Traced<T, E> body) throws E {
        Location before = BUILTIN.get();
        BUILTIN.set(new Location.Named("hlo4j.builtin." + model, Location.UNKNOWN));
        try {
            return body.get();
        } finally {
            if (before == null) BUILTIN.remove();
            else BUILTIN.set(before);
        }
    }

    /** What {@link #asBuiltin} runs. */
    @FunctionalInterface
    public interface Traced<T, E extends Exception> {
        T get() throws E;
    }

    static boolean isLibrary(String className) {
        for (String p : LIBRARY) if (className.startsWith(p)) return true;
        return false;
    }
}
