package io.hlo4j.cli.shardjourney;

import io.hlo4j.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process, as {@code ./hlo4j} would, for the sharding journey tests (this package and shardingjourney). */
public final class JourneyCli {
    private JourneyCli() {}

    /** The exit code and both streams. */
    public record Out(int code, String out, String err) {
        @Override public String toString() { return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err; }
    }

    public static Out cli(String... args) {
        StringWriter o = new StringWriter(), e = new StringWriter();
        int code = Main.run(new PrintWriter(o), new PrintWriter(e), args);
        return new Out(code, o.toString(), e.toString());
    }
}
