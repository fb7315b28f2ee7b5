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

    /**
     * A JSON list is read entry by entry and refused at the entry past the bound, before the rest is read: the entry
     * after it, which is no string, is never reached, and neither is the body's broken end. Before, the whole body was
     * parsed into a tree, copied into a list, joined and split again (a list of 4 MiB: some 70 MiB of heap) before
     * the bound was checked.
     */
    @Test
    void aJsonListOverTheBoundIsRefusedNamingItAtTheEntryPastIt() {
        StringBuilder body = new StringBuilder("{\"modules\": [");
        for (int i = 0; i <= WarmupList.MAX_TARGETS; i++) {
            body.append("\"example.com/m@v1.0.0\","); // one module version: the bound is on entries, not on distinct
        }
        body.append("3, \"not the end");

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> WarmupRoute.fromJson(body.toString()));

        assertEquals("more than 10000 entries in one warm-up", e.getMessage());
    }

    @Test
    void aJsonListAtTheBoundIsRead() {
        StringBuilder body = new StringBuilder("{\"goSum\": \"example.com/b v1.0.0 h1:x\", \"modules\": [");
        for (int i = 0; i < WarmupList.MAX_TARGETS; i++) {
            body.append(i == 0 ? "" : ",").append("\"example.com/m").append(i).append("@v1.0.0\"");
        }
        body.append("], \"other\": {\"a\": [1, 2]}}");

        List<WarmupTarget> targets = WarmupRoute.fromJson(body.toString());

        assertEquals(WarmupList.MAX_TARGETS, targets.size(), "the modules, which win over goSum");
        assertEquals("example.com/m0", targets.get(0).module().path());
    }

    @Test
    void aTextListOverTheBoundIsRefusedNamingIt() {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i <= WarmupList.MAX_TARGETS; i++) {
            text.append("example.com/m").append(i).append("@v1.0.0\r\n");
        }

        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> WarmupList.parse(text.toString()));

        assertEquals("line 10001: more than 10000 module versions in one warm-up", e.getMessage());
    }
}
