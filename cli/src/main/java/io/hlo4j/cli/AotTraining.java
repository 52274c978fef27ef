package io.hlo4j.cli;

import java.io.OutputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The training run of the launcher's ahead-of-time cache (JEP 483/514/515): runs several command lines in one JVM, their
 * output discarded, so that the cache holds the classes, linked lambdas and method profiles of the common commands (the
 * demo's tracing, partitioning and interpreter; the parser and printer; a run; an error line; the help), not only one's.
 * The launcher starts it in the background with {@code -XX:AOTCacheOutput}; users never call it.
 * <p>Arguments: command lines separated by a lone {@code ;}, e.g. {@code demo ; print add.mlir ; --help}. Exits 0 when
 * every command ran (whatever its exit code: an error case is part of the training), 1 when one threw.
 */
public final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) {
        PrintWriter sink = new PrintWriter(OutputStream.nullOutputStream());
        int status = 0;
        for (List<String> command : split(args)) {
            try {
                Main.run(sink, sink, command.toArray(String[]::new));
            } catch (Throwable t) { // Main.run never throws; a throw here is a bug worth a failed training
                status = 1;
            }
        }
        System.exit(status);
    }

    static List<List<String>> split(String[] args) {
        List<List<String>> commands = new ArrayList<>();
        int start = 0;
        for (int i = 0; i <= args.length; i++) {
            if (i == args.length || args[i].equals(";")) {
                if (i > start) commands.add(Arrays.asList(args).subList(start, i));
                start = i + 1;
            }
        }
        return commands;
    }
}
