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

    public static Location here() {
        Optional<StackWalker.StackFrame> f = WALKER.walk(s -> s.filter(fr -> !isLibrary(fr.getClassName())).findFirst());
        if (f.isEmpty()) return Location.UNKNOWN;
        StackWalker.StackFrame fr = f.get();
        String file = fr.getFileName();
        if (file == null) return new Location.Named(fr.getClassName() + "." + fr.getMethodName(), Location.UNKNOWN);
        return new Location.FileLineCol(file, fr.getLineNumber(), 0);
    }

    static boolean isLibrary(String className) {
        for (String p : LIBRARY) if (className.startsWith(p)) return true;
        return false;
    }
}
