package dev.modproxy.proxy.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WarmupListTest {

    @Test
    void readsModuleAtVersionLinesSkippingBlanksAndComments() {
        List<WarmupTarget> targets =
                WarmupList.parse("// tools\ngithub.com/BurntSushi/toml@v1.3.2\n\n  golang.org/x/text@v0.14.0  \n");

        assertEquals(
                List.of("github.com/BurntSushi/toml@v1.3.2", "golang.org/x/text@v0.14.0"),
                targets.stream().map(WarmupTarget::toString).toList());
    }

    @Test
    void readsGoSumWithGoModOnlyEntriesMergedIntoFullOnes() {
        String goSum = """
                github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
                github.com/google/uuid v1.6.0/go.mod h1:TIyPZe4MgqvfeYDBFedMoGGpEw/LqOeaOT+nhxU+yHo=
                golang.org/x/mod v0.14.0/go.mod h1:hTbmBsO62+eylJbnUtE2MGJUyE7QWk4xUqPFrRgJ+7c=
                """;

        List<WarmupTarget> targets = WarmupList.parse(goSum);

        assertEquals(
                List.of("github.com/google/uuid@v1.6.0", "golang.org/x/mod@v0.14.0 (go.mod)"),
                targets.stream().map(WarmupTarget::toString).toList());
    }

    @Test
    void readsTheRequirementsOfAGoModAndNothingElse() {
        String goMod = """
                // build tools
                module example.com/app

                go 1.19

                require github.com/google/uuid v1.6.0

                require (
                	golang.org/x/mod v0.14.0 // indirect
                	"gopkg.in/yaml.v3" "v3.0.1"
                )

                replace golang.org/x/text => ../text

                exclude (
                	golang.org/x/net v0.1.0
                )
                """;

        List<WarmupTarget> targets = WarmupList.parse(goMod);

        assertEquals(
                List.of("github.com/google/uuid@v1.6.0", "golang.org/x/mod@v0.14.0", "gopkg.in/yaml.v3@v3.0.1"),
                targets.stream().map(WarmupTarget::toString).toList());
    }

    @Test
    void aMalformedGoModRequirementNamesItsLine() {
        var e = assertThrows(
                IllegalArgumentException.class,
                () -> WarmupList.parse("module example.com/app\n\nrequire (\n\tgolang.org/x/mod\n)\n"));
        assertTrue(e.getMessage().startsWith("line 4: expected a go.mod requirement"), e.getMessage());
    }

    @Test
    void majorVersionRulesAreChecked() {
        var e = assertThrows(IllegalArgumentException.class, () -> WarmupList.parse("example.com/m/v2@v1.0.0"));
        assertTrue(e.getMessage().startsWith("line 1: "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "example.com/m",
                "example.com/m@",
                "@v1.0.0",
                "example.com/m@latest",
                "example.com/m v1.0.0",
                "../etc@v1.0.0",
                "example.com/m@v1.0",
                "",
                "\n// only a comment\n"
            })
    void badLinesAreRefusedWithTheLineNumber(String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> WarmupList.parse(text));
        assertTrue(e.getMessage().startsWith("line ") || e.getMessage().startsWith("no module"), e.getMessage());
    }
}
