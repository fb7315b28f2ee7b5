package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.modproxy.proxy.protocol.ArtifactKind;
import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GoModVerifierTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {
            "module example.com/a\n",
            "// a comment\nmodule \"example.com/a\" // trailing\n\ngo 1.19\n",
            "module `example.com/a`\n",
            "module (\n\texample.com/a\n)\n",
            "module\texample.com/a\r\n",
    })
    void findsTheModuleDirectiveInItsSyntaxVariants(String gomod) {
        assertEquals("example.com/a", GoModVerifier.declaredModule(gomod));
    }

    @Test
    void goModWithoutModuleLineHasNoDeclaredPath() {
        assertNull(GoModVerifier.declaredModule("go 1.12\n\nrequire example.com/b v1.0.0\n"));
    }

    @Test
    void goModWithoutModuleLineIsAccepted() throws Exception {
        Path file = Files.writeString(dir.resolve("go.mod"), "go 1.12\n");

        new GoModVerifier().verify(ModulePath.of("example.com/old"), ModuleVersion.parse("v2.0.0+incompatible"),
                ArtifactKind.MOD, file);
    }

    @Test
    void binaryContentIsRejected() throws Exception {
        Path file = Files.write(dir.resolve("go.mod"), new byte[] {'m', 0, (byte) 0xff, 1});

        assertThrows(ArtifactRejectedException.class, () -> new GoModVerifier().verify(ModulePath.of("example.com/a"),
                ModuleVersion.parse("v1.0.0"), ArtifactKind.MOD, file));
    }
}
