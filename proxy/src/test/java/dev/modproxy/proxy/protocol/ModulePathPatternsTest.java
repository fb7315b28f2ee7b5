package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModulePathPatternsTest {

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "corp.example.com|corp.example.com/a/b|true",
                "corp.example.com|corp.example.com|true",
                "corp.example.com|corp.example.co/a|false",
                "corp.example.com|corp.example.comx/a|false",
                "*.corp.example.com|git.corp.example.com/x|true",
                "*.corp.example.com|corp.example.com/x|false",
                "github.com/acme|github.com/acme/tool/v2|true",
                "github.com/acme|github.com/acmeco/tool|false",
                "github.com/acme/|github.com/acme/tool|true",
                "github.com/*/internal|github.com/x/internal/y|true",
                "github.com/*/internal|github.com/x/public|false",
                "github.com/team-[ab]|github.com/team-b/x|true",
                "github.com/team-[^ab]|github.com/team-b/x|false",
                "github.com/a?c|github.com/abc|true",
                "a.com, ,b.com/x|b.com/x/y|true",
                "''|example.com/a|false",
            })
    void matchesPathPrefixesLikeGoprivate(String patterns, String path, boolean matches) {
        assertEquals(matches, ModulePathPatterns.parse(patterns).matches(path));
    }

    @ParameterizedTest
    @CsvSource({"github.com/[abc", "github.com/a\\"})
    void malformedPatternsFailAtStartup(String pattern) {
        assertThrows(IllegalArgumentException.class, () -> ModulePathPatterns.parse(pattern));
    }
}
