package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

class ProxyRequestPropertyTest {

    private static Path root;
    private static LocalDiskStorage storage;

    @BeforeContainer
    static void createStorage() throws IOException {
        root = Files.createTempDirectory("modproxy-props");
        storage = new LocalDiskStorage(root);
    }

    @AfterContainer
    static void removeStorage() throws IOException {
        try (var files = Files.walk(root)) {
            files.sorted(java.util.Comparator.reverseOrder())
                    .forEach(p -> p.toFile().delete());
        }
    }

    @Property
    void caseEncodingRoundTrips(@ForAll("asciiWithoutBang") String s) {
        String encoded = CaseEncoding.encode(s);

        assertEquals(s, CaseEncoding.decode(encoded));
        assertTrue(encoded.chars().noneMatch(c -> c >= 'A' && c <= 'Z'), encoded);
    }

    @Property
    void validModulePathsRoundTripThroughTheUrlForm(@ForAll("modulePaths") String path) {
        ModulePath module;
        try {
            module = ModulePath.of(path);
        } catch (IllegalArgumentException e) {
            Assume.that(false);
            return;
        }

        assertEquals(module, ModulePath.fromEncoded(module.encoded()));
        assertEquals(path, ModulePath.fromEncoded(module.encoded()).path());
    }

    @Property(tries = 2000)
    void hostilePathsAreRefusedOrStayInsideTheStorageRoot(@ForAll("hostilePaths") String rawPath) {
        ProxyRequest request;
        try {
            request = ProxyRequest.parse(rawPath);
        } catch (InvalidRequestException e) {
            assertTrue(e.status() >= 400 && e.status() < 500, "status " + e.status());
            assertFalse(e.getMessage().isBlank());
            return;
        }
        String relative = request.relativePath();
        assertFalse(List.of(relative.split("/")).contains(".."), relative);
        Path file = storage.fileFor(new StorageKey(relative));
        assertTrue(file.normalize().startsWith(root), file.toString());
        assertFalse(file.startsWith(root.resolve(".tmp")), file.toString());
    }

    @Property
    void everyParsedRequestHasAStorageKeyUnderTheRoot(
            @ForAll("modulePaths") String path, @ForAll("suffixes") String suffix) {
        ProxyRequest request;
        try {
            request = ProxyRequest.parse("/" + path + suffix);
        } catch (InvalidRequestException e) {
            Assume.that(false);
            return;
        }
        Path file = storage.fileFor(new StorageKey(request.relativePath()));

        assertTrue(file.normalize().startsWith(root));
        assertEquals(request, assertParsesAgain(request.relativePath()));
    }

    private static ProxyRequest assertParsesAgain(String relative) {
        try {
            return ProxyRequest.parse("/" + relative);
        } catch (InvalidRequestException e) {
            throw new AssertionError("canonical path does not parse again: " + relative, e);
        }
    }

    @Provide
    Arbitrary<String> asciiWithoutBang() {
        return Arbitraries.strings().withCharRange(' ', '~').excludeChars('!').ofMaxLength(40);
    }

    @Provide
    Arbitrary<String> modulePaths() {
        Arbitrary<String> host = Arbitraries.strings()
                .withCharRange('a', 'z')
                .ofMinLength(1)
                .ofMaxLength(8)
                .map(s -> s + ".com");
        Arbitrary<String> element = Arbitraries.strings()
                .withCharRange('a', 'z')
                .withCharRange('A', 'Z')
                .withCharRange('0', '9')
                .withChars('-', '_', '~', '.')
                .ofMinLength(1)
                .ofMaxLength(12);
        return Combinators.combine(host, element.list().ofMaxSize(4))
                .as((h, rest) -> rest.isEmpty() ? h : h + "/" + String.join("/", rest));
    }

    @Provide
    Arbitrary<String> suffixes() {
        return Arbitraries.of(
                "/@v/list",
                "/@latest",
                "/@v/v1.2.3.info",
                "/@v/v0.0.0-20240101000000-abcdef123456.mod",
                "/@v/v1.0.0-!r!c.1.zip",
                "/@v/main.info",
                "/@v/!main!branch.info");
    }

    @Provide
    Arbitrary<String> hostilePaths() {
        Arbitrary<String> piece = Arbitraries.of(
                "..",
                ".",
                "/",
                "//",
                "%2F",
                "%2f",
                "%2e",
                "%2E%2E",
                "%00",
                "%5C",
                "\\",
                "!",
                "!!",
                "%21",
                "@v",
                "@v/",
                "@latest",
                "list",
                ".info",
                ".zip",
                ".mod",
                "v1.0.0",
                "example.com",
                "a",
                "A",
                "~",
                "%",
                "%zz",
                "\u0000",
                "\u00e9",
                "%C3%A9",
                ".tmp",
                "-",
                "+incompatible",
                "v2.0.0");
        return piece.list().ofMinSize(1).ofMaxSize(12).map(parts -> "/" + String.join("", parts));
    }
}
