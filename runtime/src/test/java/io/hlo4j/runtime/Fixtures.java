package io.hlo4j.runtime;

import io.hlo4j.runtime.array.HostArray;
import io.hlo4j.runtime.io.Npy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;

/** The numpy fixtures written by scripts/gen_dtype_fixtures.py, from the test classpath. */
public final class Fixtures {
    private Fixtures() {}

    public static Path path(String rel) {
        URL url = Fixtures.class.getResource("/fixtures/" + rel);
        if (url == null) throw new IllegalStateException("missing fixture " + rel + "; run scripts/gen_dtype_fixtures.py");
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static HostArray npy(String rel) {
        try {
            return Npy.read(path(rel));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
