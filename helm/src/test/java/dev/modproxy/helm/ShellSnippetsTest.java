package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shell snippets in the README files and docs/ paste into bash as they read: a GOPROXY-style value with '|'
 * is a pipe unless quoted, and a value with a space ends at the space. The examples use one namespace for builds.
 */
class ShellSnippetsTest {

    private static final Pattern FENCE = Pattern.compile("(?ms)^```(sh|bash|shell|console)\\s*$(.*?)^```\\s*$");
    /** An assignment or flag value followed, unquoted, by a space and more of the same value (a URL). */
    private static final Pattern SPLIT_VALUE = Pattern.compile("(^|\\s)[A-Za-z_][A-Za-z0-9_.-]*=[^\\s'\"]+ https?://");

    private static final Pattern NAMESPACE = Pattern.compile(
            // "nice -n 10" is a priority, not a namespace
            "(?:(?<!nice )-n |--namespace[ =]|namespace: )([a-z0-9][-a-z0-9]*)|[a-z0-9-]+\\.([a-z0-9-]+)\\.svc\\b");
    /** Where the operator runs, where the examples' builds (and their cache, default.ci.svc) run, and the MinIO example's. */
    private static final List<String> NAMESPACES = List.of("modproxy-system", "ci", "storage");

    @Test
    void everyValueWithAPipeOrASpaceIsQuoted() throws IOException {
        List<String> unpasteable = new ArrayList<>();
        for (Path doc : documents()) {
            Matcher block = FENCE.matcher(Files.readString(doc));
            while (block.find()) {
                for (String line : block.group(2).split("\n")) {
                    if (hasUnquotedPipeInsideAWord(line)
                            || SPLIT_VALUE.matcher(line).find()) {
                        unpasteable.add(Chart.repositoryRoot().relativize(doc) + ": " + line.strip());
                    }
                }
            }
        }
        assertEquals(List.of(), unpasteable, "shell lines that do not paste as they read");
    }

    @Test
    void theDocsAndExamplesUseOneNamespaceForBuilds() throws IOException {
        List<String> others = new ArrayList<>();
        List<Path> files = new ArrayList<>(documents());
        try (Stream<Path> examples = Files.list(Chart.repositoryRoot().resolve("examples"))) {
            examples.forEach(files::add);
        }
        files.add(Chart.repositoryRoot().resolve("helm/modproxy/templates/NOTES.txt"));
        for (Path file : files) {
            Matcher namespace = NAMESPACE.matcher(Files.readString(file));
            while (namespace.find()) {
                String name = namespace.group(1) != null ? namespace.group(1) : namespace.group(2);
                if (!NAMESPACES.contains(name)) {
                    others.add(Chart.repositoryRoot().relativize(file) + ": " + namespace.group());
                }
            }
        }
        assertEquals(List.of(), others);
    }

    @Test
    void theCheckCatchesWhatBashWouldSplit() {
        assertEquals(true, hasUnquotedPipeInsideAWord("MODPROXY_UPSTREAM=https://goproxy.cn|https://proxy.golang.org"));
        assertEquals(
                false, hasUnquotedPipeInsideAWord("MODPROXY_UPSTREAM='https://goproxy.cn|https://proxy.golang.org'"));
        assertEquals(false, hasUnquotedPipeInsideAWord("GOPROXY=\"http://cache|https://proxy.golang.org\" go build"));
        assertEquals(false, hasUnquotedPipeInsideAWord("kubectl get pods | grep modproxy"));
        assertEquals(false, hasUnquotedPipeInsideAWord("echo a # not|code"));
        assertEquals(
                true,
                SPLIT_VALUE
                        .matcher("MODPROXY_SUMDB=sum.example.com+1234+AbC https://sum.example.com")
                        .find());
        assertEquals(
                false,
                SPLIT_VALUE
                        .matcher("MODPROXY_SUMDB='sum.example.com+1234+AbC https://sum.example.com'")
                        .find());
    }

    /** A '|' between two non-blank characters outside quotes and comments: a GOPROXY list bash reads as a pipe. */
    static boolean hasUnquotedPipeInsideAWord(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                quote = c == quote ? 0 : quote;
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return false;
            } else if (c == '\\') {
                i++;
            } else if (c == '|'
                    && i > 0
                    && i + 1 < line.length()
                    && !Character.isWhitespace(line.charAt(i - 1))
                    && !Character.isWhitespace(line.charAt(i + 1))
                    && line.charAt(i + 1) != '|') {
                return true;
            }
        }
        return false;
    }

    private static List<Path> documents() throws IOException {
        Path root = Chart.repositoryRoot();
        List<Path> docs = new ArrayList<>(List.of(
                root.resolve("README.md"), root.resolve("proxy/README.md"), root.resolve("operator/README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }
}
