package io.hlo4j.runtime.conformance;

import java.util.List;
import java.util.Locale;

/** Counts over a run; {@link #line()} is the runner's closing line. */
public record Summary(int total, int passed, int failed, int skipped) {
    public static Summary of(List<FileResult> results) {
        int p = 0, f = 0, s = 0;
        for (FileResult r : results) {
            switch (r.verdict()) {
                case PASS -> p++;
                case FAIL, ERROR -> f++;
                case SKIP -> s++;
            }
        }
        return new Summary(results.size(), p, f, s);
    }

    public double passRate() { return total == 0 ? 0 : 100.0 * passed / total; }

    public String line() {
        return String.format(Locale.ROOT, "conformance summary: %d of %d files passed (%.1f%%), %d failed, %d skipped",
                passed, total, passRate(), failed, skipped);
    }
}
