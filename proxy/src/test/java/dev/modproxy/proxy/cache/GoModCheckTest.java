package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.proxy.protocol.ProxyRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link AnswerChecks} on .mod answers, and the go.mod syntax it reads them with. */
class GoModCheckTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(
            strings = {
                "module example.com/a\n",
                "// a comment\nmodule \"example.com/a\" // trailing\n\ngo 1.19\n",
                "module `example.com/a`\n",
                "module (\n\texample.com/a\n)\n",
                "module\texample.com/a\r\n",
            })
    void acceptsTheModuleDirectiveInItsSyntaxVariants(String gomod) throws Exception {
        verify(gomod);
    }

    @Test
    void aForkKeepingTheOriginalPathInItsModuleDirectiveIsAccepted() throws Exception {
        // github.com/golang/lint's go.mod says golang.org/x/lint: builds reach it through a replace directive
        verify("module example.com/original\n\ngo 1.21\n");
    }

    @Test
    void goModWithoutModuleLineIsAccepted() throws Exception {
        Path file = Files.writeString(dir.resolve("go.mod"), "go 1.12\n");

        new AnswerChecks()
                .verify(
                        ProxyRequest.parse("/example.com/old/@v/v2.0.0+incompatible.mod"),
                        new StagedAnswer(file, false));
    }

    @Test
    void binaryContentIsRejected() throws Exception {
        Path file = Files.write(dir.resolve("go.mod"), new byte[] {'m', 0, (byte) 0xff, 1});

        assertThrows(
                ArtifactRejectedException.class,
                () -> new AnswerChecks()
                        .verify(ProxyRequest.parse("/example.com/a/@v/v1.0.0.mod"), new StagedAnswer(file, false)));
    }

    @Test
    void aGoModWithBytesThatAreNotUtf8InACommentIsAccepted() throws Exception {
        // an author's name in Latin-1: the go command reads go.mod as bytes and never decodes a comment
        byte[] latin1 =
                "module example.com/a\n\n// Autor: Jos\u00e9 M\u00fcller\ngo 1.21\n\nrequire example.com/b v1.0.0\n"
                        .getBytes(StandardCharsets.ISO_8859_1);
        Path file = Files.write(dir.resolve("go.mod"), latin1);

        new AnswerChecks().verify(ProxyRequest.parse("/example.com/a/@v/v1.0.0.mod"), new StagedAnswer(file, false));
    }

    @Test
    void aLineLongerThanTheCheckHoldsIsAcceptedWhenItsCommentBeginsInIt() throws Exception {
        String long80k = "x".repeat(80 * 1024);
        // the go command reads a go.mod line of any length; a comment's text does not matter to it
        verify("module example.com/a\n\n// " + long80k + "\ngo 1.21\n");
        verify("module example.com/a // " + long80k + "\r\ngo 1.21\n");
        verify("module example.com/a\nrequire example.com/b v1.0.0 //" + long80k);
        verify("module example.com/a\nretract \"a // b\" // " + long80k + "\n");
    }

    @Test
    void aLineLongerThanTheCheckHoldsWithoutACommentIsRejectedAndOneWithAnErrorBeforeItsCommentToo() {
        String long80k = "x".repeat(80 * 1024);
        ArtifactRejectedException words = assertThrows(
                ArtifactRejectedException.class, () -> verify("module example.com/a\nunknown " + long80k + "\n"));
        assertEquals(
                "not a go.mod the go command can read (line 2): line longer than 65536 characters without a // comment"
                        + " begun in them",
                words.getMessage());
        assertThrows(
                ArtifactRejectedException.class,
                () -> verify("module example.com/a\nretract \"// not a comment " + long80k + "\n"),
                "a // inside a string begins no comment");
        assertThrows(
                ArtifactRejectedException.class,
                () -> verify("module example.com/a\ngo 1.21 1.22 // " + long80k + "\n"),
                "what comes before the comment is checked as in any line");
    }

    private void verify(String gomod) throws Exception {
        Path file = Files.writeString(dir.resolve("go.mod"), gomod);
        new AnswerChecks().verify(ProxyRequest.parse("/example.com/a/@v/v1.0.0.mod"), new StagedAnswer(file, false));
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "module example.com/a\n\ngo 1.22.1\n\ntoolchain go1.23.0\n\ngodebug (\n\tdefault=go1.21\n)\n",
                "module example.com/a\r\n\r\ngo 1.21\r\n\r\nrequire (\r\n\texample.com/b v1.2.3 // indirect\r\n)\r\n",
                "module example.com/a\n\nrequire \"example.com/b\" v0.0.0-20200101000000-abcdefabcdef\nrequire example.com/c v2.0.0+incompatible\n",
                "module example.com/a\n\nreplace example.com/b => ../b\nexclude example.com/c v1.0.0\nretract [v1.0.0, v1.0.5] // broken\nretract v0.9.0\n",
                "module example.com/a\n\ntool example.com/a/cmd/gen\nignore ./testdata\nfuturedirective with args\n",
                "module example.com/a\ngo 1.21rc1\n",
                "// only a comment\n",
            })
    void goModsTheGoCommandReadsAreAccepted(String gomod) throws Exception {
        verify(gomod);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1e\r\nmodule example.com/a\n\ngo 1.21\n\r\n0\r\n\r\n",
                "module example.com/a\n\r\n0\r\n\r\n",
                "ff\r\nmodule example.com/a\n",
                "module \"example.com/a\n",
                "module example.com/a\nmodule example.com/a\n",
                "module example.com/a extra\n",
                "module example.com/a\nrequire example.com/b\n",
                "module example.com/a\nrequire example.com/b latest\n",
                "module example.com/a\ngo one\n",
                "module example.com/a\ngo 1.21\ngo 1.22\n",
                "module example.com/a\nrequire (\n\texample.com/b v1.0.0\n",
                "module example.com/a\n/* block comment */\n",
                "module example.com/a\n\u000bgo 1.21\n",
            })
    void textTheGoCommandCannotReadAsAGoModIsRejected(String gomod) {
        assertThrows(ArtifactRejectedException.class, () -> verify(gomod), gomod);
    }
}
