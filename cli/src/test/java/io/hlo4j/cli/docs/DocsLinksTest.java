package io.hlo4j.cli.docs;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Relative links in README.md and docs/ point at files (and headings) that exist, and README links every page. */
class DocsLinksTest {
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");

    @Test
    void relativeLinksAndAnchorsResolve() throws IOException {
        Path root = DocsPlan.root();
        List<String> broken = new ArrayList<>();
        for (Path page : DocsPlan.pageFiles(root)) {
            List<String> lines = Files.readAllLines(page);
            boolean inFence = false;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).stripLeading().startsWith("```")) inFence = !inFence;
                if (inFence) continue;
                Matcher m = LINK.matcher(lines.get(i).replaceAll("`[^`]*`", ""));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.matches("^[a-z]+:.*")) continue; // http:, https:, mailto:
                    String where = root.relativize(page) + ":" + (i + 1) + ": (" + target + ")";
                    int hash = target.indexOf('#');
                    String file = hash < 0 ? target : target.substring(0, hash);
                    Path t = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                    if (!Files.exists(t)) { broken.add(where + " no such file"); continue; }
                    if (hash >= 0 && t.toString().endsWith(".md") && !anchors(t).contains(target.substring(hash + 1))) {
                        broken.add(where + " no heading with that anchor in " + root.relativize(t));
                    }
                }
            }
        }
        assertThat(broken).as("broken links").isEmpty();
    }

    @Test
    void readmeLinksEveryPage() throws IOException {
        Path root = DocsPlan.root();
        String readme = Files.readString(root.resolve("README.md"));
        List<String> missing = new ArrayList<>();
        for (Path page : DocsPlan.pageFiles(root)) {
            String rel = root.relativize(page).toString().replace('\\', '/');
            if (!rel.equals("README.md") && !readme.contains("](" + rel + ")")) missing.add(rel);
        }
        assertThat(missing).as("pages README.md does not link").isEmpty();
    }

    @Test
    void anchorsFollowGitHubsRule() {
        assertThat(slug("`print`: parse, verify, print")).isEqualTo("print-parse-verify-print");
        assertThat(slug("`dump`: a built-in model's StableHLO")).isEqualTo("dump-a-built-in-models-stablehlo");
        assertThat(slug("Your first program with the DSL")).isEqualTo("your-first-program-with-the-dsl");
    }

    /** GitHub's heading anchors: lower case, punctuation other than '-' and '_' dropped, spaces to '-'. */
    static String slug(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    private static Set<String> anchors(Path page) throws IOException {
        Set<String> out = new HashSet<>();
        boolean inFence = false;
        for (String l : Files.readAllLines(page)) {
            if (l.stripLeading().startsWith("```")) inFence = !inFence;
            if (!inFence && l.matches("^#{1,6} .*")) out.add(slug(l.replaceFirst("^#+ ", "")));
        }
        return out;
    }
}
