package dev.modproxy.proxy.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ModuleVersionTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "v0.0.0",
                "v1.2.3",
                "v1.2.3-pre.1",
                "v0.0.0-20240102030405-abcdefabcdef",
                "v2.0.0+incompatible",
                "v1.0.0-RC1",
                "v10.20.30",
                "v1.0.0-12345678901234567890",
                "v1.20240102030405060708.0"
            })
    void acceptsCanonicalVersions(String version) {
        assertTrue(ModuleVersion.isCanonical(version));
        assertEquals(version, ModuleVersion.parse(version).toString());
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "1.2.3",
                "v1",
                "v1.2",
                "v01.2.3",
                "v1.02.3",
                "v1.2.3+build",
                "v1.2.3-",
                "v1.2.3-01",
                "v1.2.3-a..b",
                "master",
                "v1.2.3.4",
                "",
                "v"
            })
    void rejectsNonCanonicalVersions(String version) {
        assertFalse(ModuleVersion.isCanonical(version));
        assertThrows(IllegalArgumentException.class, () -> ModuleVersion.parse(version));
    }

    @ParameterizedTest
    @CsvSource({
        "example.com/a, v1.5.0",
        "example.com/a, v0.1.0",
        "example.com/a, v3.0.0+incompatible",
        "example.com/a/v2, v2.1.0",
        "gopkg.in/yaml.v2, v2.4.0",
        "gopkg.in/check.v1, v0.0.0-20200227125254-8fa46927fb4f",
    })
    void versionsThatBelongToTheirModule(String path, String version) {
        ModuleVersion.parse(version).checkBelongsTo(ModulePath.of(path));
    }

    @ParameterizedTest
    @CsvSource({
        "example.com/a, v2.0.0, should be v0 or v1",
        "example.com/a/v2, v3.0.0, should be v2",
        "example.com/a/v2, v2.0.0+incompatible, major version suffix",
        "example.com/a, v1.0.0+incompatible, v2 and above",
        "gopkg.in/yaml.v2, v3.0.0, should be v2",
    })
    void versionsThatDoNotBelongToTheirModule(String path, String version, String reason) {
        IllegalArgumentException e = assertThrows(
                IllegalArgumentException.class,
                () -> ModuleVersion.parse(version).checkBelongsTo(ModulePath.of(path)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void encodesUpperCasePreReleaseTags() {
        assertEquals("v1.0.0-!r!c1", ModuleVersion.parse("v1.0.0-RC1").encoded());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "v1",
                "v1.2",
                "v1.2.3",
                "v1.2.3-pre.1",
                "v1.2.3+meta",
                "v2.0.0+incompatible",
                "v0.0.0-20200101000000-abcdefabcdef",
                "v1.2.3-0.1.2+build.7"
            })
    void semanticVersionsAsTheGoCommandReadsThem(String version) {
        org.junit.jupiter.api.Assertions.assertTrue(ModuleVersion.isSemver(version), version);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(
            strings = {
                "1.2.3",
                "v",
                "v1.2.3.4",
                "v01.2.3",
                "v1.2-pre",
                "v1+meta",
                "v1.2.3-01",
                "v1.2.3-",
                "v1.2.3+",
                "e",
                "v1.0.0\r",
                "latest"
            })
    void notSemanticVersions(String version) {
        org.junit.jupiter.api.Assertions.assertFalse(ModuleVersion.isSemver(version), version);
    }
}
