package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The go command's rule (golang.org/x/mod/module.MatchPrefixPatterns over path.Match) is the reference. The rows of
 * the first two tables were checked once against golang.org/x/mod v0.37.0 with Go 1.26.8: a program printed
 * MatchPrefixPatterns(patterns, path) for each row, and whether path.Match calls a glob malformed (ErrBadPattern); the
 * third column is what it printed.
 */
class ModulePathPatternsTest {

    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            corp.example.com              | corp.example.com/a/b      | true
            corp.example.com              | corp.example.com          | true
            corp.example.com              | corp.example.co/a         | false
            corp.example.com              | corp.example.comx/a       | false
            *.corp.example.com            | git.corp.example.com/x    | true
            *.corp.example.com            | corp.example.com/x        | false
            github.com/acme               | github.com/acme/tool/v2   | true
            github.com/acme               | github.com/acmeco/tool    | false
            github.com/acme/              | github.com/acme/tool      | true
            github.com/*/internal         | github.com/x/internal/y   | true
            github.com/*/internal         | github.com/x/public       | false
            github.com/team-[ab]          | github.com/team-b/x       | true
            github.com/team-[^ab]         | github.com/team-b/x       | false
            github.com/a?c                | github.com/abc            | true
            a?c                           | a/c                       | false
            a, ,b.com/x                   | b.com/x/y                 | true
            ''                            | example.com/a             | false
            ',,a,,'                       | a/x                       | true
            ','                           | a                         | false
            /                             | a                         | false
            *                             | example.com/a/b           | true
            *                             | example.com               | true
            */b                           | example.com/b/c           | true
            */b                           | example.com/c             | false
            */b                           | example.com               | false
            corp.example.com/             | corp.example.com/x        | true
            corp.example.com/             | corp.example.com          | true
            [\\]]                         | ]                         | true
            [\\]]                         | \\                        | false
            [\\]]x                        | ]x                        | true
            \\[x\\]                       | [x]                       | true
            \\*                           | *                         | true
            \\*                           | a                         | false
            a\\/b                         | a/b/c                     | true
            a[/]b                         | a/b/c                     | true
            [/x]                          | x                         | false
            [a-z]                         | m                         | true
            [^a]                          | b                         | true
            [^a]                          | a                         | false
            [^a-c]x                       | dx                        | true
            [a^]                          | ^                         | true
            [!a]                          | !                         | true
            [!a]                          | b                         | false
            a*                            | a/b                       | true
            a*                            | abc/d                     | true
            ä*                            | äb/c                      | true
            [ä]                           | ä                         | true
            ?                             | ä                         | true
            """)
    void matchesAsTheGoCommandDoes(String patterns, String path, boolean goCommand) {
        assertThat(ModulePathPatterns.parse(patterns).matches(path)).isEqualTo(goCommand);
    }

    /**
     * path.Match places each run of literals and classes after a '*' at its leftmost fit and never tries a later one.
     * A regular expression would try them all, and where a class takes '/' the two differ: for {@code *[/.]*} the go
     * command lets '.' take the class in a.b/c and then finds the last '*' facing "/c", which it cannot cross, so
     * GOPRIVATE=*[/.]* leaves a.b/c/d public. Rows checked with golang.org/x/mod v0.37.0, Go 1.26.8.
     */
    @ParameterizedTest(name = "{0} matches {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
            *[/.]*                        | a.b/c/d                   | false
            *[/.]*                        | ab/c                      | true
            *[*/^]*                       | ]^/ab                     | false
            *[*/^]*                       | ]/ab                      | true
            """)
    void aStarGivesTheNextCharactersTheirFirstFitAsTheGoCommandDoes(String patterns, String path, boolean goCommand) {
        assertThat(ModulePathPatterns.parse(patterns).matches(path)).isEqualTo(goCommand);
    }

    /**
     * Globs path.Match calls malformed: the go command skips them without a word, so a typo in GOPRIVATE sends the
     * private paths it meant to a public mirror. Refused at start, naming the glob and why. Before, the proxy took
     * []a], [^], [a-], [-a], [a-c-e] and []]x, each matching paths the go command matches with no glob.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            []a]                   | has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            []]x                   | has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            [^]                    | has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            []                     | has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            [a-]                   | has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            [-a]                   | has a '-' in a [...] class where a character belongs (first, or in a range); write it as \\-
            [a-c-e]                | has a '-' in a [...] class where a character belongs (first, or in a range); write it as \\-
            a\\                    | ends with '\\'
            corp.example.com\\/    | ends with '\\'
            [a\\                   | ends with '\\'
            [abc                   | has a '[' that no ']' closes
            [                      | has a '[' that no ']' closes
            github.com/[abc        | has a '[' that no ']' closes
            """)
    void refusesWhatTheGoCommandCallsMalformed(String glob, String why) {
        assertThatThrownBy(() -> ModulePathPatterns.parse("ok.example.com, " + glob + " ,other.example.com"))
                .isInstanceOf(ModulePathPatterns.InvalidException.class)
                .hasMessage("pattern \"" + glob + "\" " + why);
        assertThat(ModulePathPatterns.problem(glob)).hasValue(why);
    }

    /**
     * Where this reader parts from the go command, each time toward keeping a private path private: what Go printed,
     * then what this does. Go reads " a " as a glob with blanks, matching no module path; a glob ending in "//" (one
     * '/' dropped, the other kept) is no error to it but matches no module path either; a range that runs backwards
     * ([z-a]) is no error and matches nothing, though the class's other members still match (Go matches b with
     * [bz-a]): refused as the typo it is.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            ' a , b '             | a/x                  | false | true
            ' a , b '             | b                    | false | true
            ' a , b '             | ' a '                | true  | false
            """)
    void trimsBlanksTheGoCommandWouldKeep(String patterns, String path, boolean goCommand, boolean here) {
        assertThat(goCommand).isNotEqualTo(here);
        assertThat(ModulePathPatterns.parse(patterns).matches(path)).isEqualTo(here);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            [z-a]                 | has the range z-a, which runs backwards and matches nothing
            x[b-a\\]]             | has the range b-a, which runs backwards and matches nothing
            [bz-a]                | has the range z-a, which runs backwards and matches nothing
            corp.example.com//    | ends with "//", which matches no module path; write it without the trailing slashes
            """)
    void refusesGlobsThatMatchNoModulePath(String glob, String why) {
        assertThatThrownBy(() -> ModulePathPatterns.parse(glob)).hasMessage("pattern \"" + glob + "\" " + why);
    }

    @ParameterizedTest(name = "[{0}]")
    @CsvSource(delimiter = '|', textBlock = """
            corp.example.com/*    | corp.example.com/*
            ' a , ,b/ '           | a,b
            ''                    | ''
            """)
    void showsThePatternsAsRead(String patterns, String shown) {
        assertThat(ModulePathPatterns.parse(patterns)).hasToString(shown);
        assertThat(ModulePathPatterns.parse(patterns).isEmpty()).isEqualTo(shown.isEmpty());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"a\u0001[", "'\u007f\\'"})
    void aControlCharacterIsShownEscapedSoTheMessageStaysOneLine(String glob) {
        assertThatThrownBy(() -> ModulePathPatterns.parse(glob)).message().doesNotContain("\u0001", "\u007f");
    }

    /**
     * matches() runs on every cache hit: it reads the path in place. A substring and a regex Matcher per glob per call
     * came to 13.6 MB for these calls.
     */
    @Test
    void matchingAllocatesNothing() {
        ModulePathPatterns patterns =
                ModulePathPatterns.parse("corp.example.com,*.corp.example.com,github.com/acme/[a-m]*");
        String[] paths = {
            "github.com/other/tool/v2", "git.corp.example.com/x", "github.com/acme/lib", "golang.org/x/mod"
        };
        boolean[] expected = {false, true, true, false};
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int calls = 20_000;
        for (int i = 0; i < calls; i++) {
            patterns.matches(paths[i % paths.length]);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        int wrong = 0;
        for (int i = 0; i < calls; i++) {
            if (patterns.matches(paths[i % paths.length]) != expected[i % paths.length]) {
                wrong++;
            }
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertThat(wrong).isZero();
        assertThat(allocated).as("bytes allocated by %d calls", calls).isLessThan(calls);
    }

    @Test
    void itemsAreThoseParseMatchesBy() {
        String list = " git.corp.example.com/* ,, \tcorp.example.com/legacy\t, ";

        assertThat(ModulePathPatterns.items(list))
                .containsExactly("git.corp.example.com/*", "corp.example.com/legacy")
                .isEqualTo(ModulePathPatterns.items(java.util.Arrays.asList(list.split(","))));
        assertThat(String.join(",", ModulePathPatterns.items(list)))
                .isEqualTo(ModulePathPatterns.parse(list).toString());
        assertThat(ModulePathPatterns.items((String) null)).isEmpty();
        assertThat(ModulePathPatterns.items(java.util.Arrays.asList(null, " ", "a.example")))
                .containsExactly("a.example");
    }
}
