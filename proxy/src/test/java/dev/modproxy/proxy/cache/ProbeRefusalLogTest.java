package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.testing.CapturedLog;
import dev.modproxy.proxy.testing.FakeUpstream;
import dev.modproxy.proxy.testing.ProxyUnderTest;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each go get asks for every prefix of a package's path (github.com, github.com/org, github.com/org/repo); an upstream
 * that refuses those no module can have with 403 logged a warning for each, every build. A 403 for a path a module
 * can have, and any failure (a 401, a 5xx), is still a warning.
 */
class ProbeRefusalLogTest {

    @TempDir
    Path root;

    @Test
    void aRefusalOfAPathNoModuleHasIsNotAWarningButOneOfAModulesPathIs() throws Exception {
        try (FakeUpstream upstream =
                        FakeUpstream.start().otherwise(FakeUpstream.status(403, "blocked by repository policy"));
                CapturedLog log = CapturedLog.of(ModuleCache.class, Level.FINE);
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root)) {
            for (String probe : List.of(
                    "/github.com/@v/v5.4.0.info",
                    "/github.com/golang-jwt/@v/v5.4.0.info",
                    "/bitbucket.org/team/@latest",
                    "/example.com/@v/list")) {
                assertEquals(403, proxy.getText(probe).statusCode(), probe);
            }
            assertEquals(List.of(), log.warnings(), "the go command's probes of prefixes");
            assertEquals(
                    4,
                    log.lines().stream()
                            .filter(line -> line.contains("a path no module has"))
                            .count(),
                    "still told at DEBUG: " + log.lines());

            assertEquals(
                    403,
                    proxy.getText("/github.com/golang-jwt/jwt/@v/v1.4.0.info").statusCode());
            assertEquals(403, proxy.getText("/example.com/org/@v/v1.0.0.mod").statusCode());
            assertEquals(2, log.warnings().size(), "a module's own path refused: " + log.warnings());
            assertTrue(log.warnings().get(0).contains("github.com/golang-jwt/jwt/@v/v1.4.0.info"), log.warnings() + "");
            assertTrue(log.warnings().get(0).contains("blocked by repository policy"), log.warnings() + "");
        }
    }

    @Test
    void aLoginRefusedOrAnUpstreamFailingForAPrefixIsStillAWarning() throws Exception {
        try (FakeUpstream upstream = FakeUpstream.start().otherwise(FakeUpstream.status(401, "login required"));
                CapturedLog log = CapturedLog.of(ModuleCache.class, Level.WARNING);
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root)) {
            assertEquals(502, proxy.getText("/github.com/@v/v5.4.0.info").statusCode());
            assertFalse(log.warnings().isEmpty(), "a 401 says the cache's login is wrong, whatever the path");
            assertTrue(log.warnings().get(0).contains("401"), log.warnings() + "");
        }
    }

    @Test
    void noModuleThereIsGosRuleForTheHostsItKnows() {
        assertTrue(ModuleCache.noModuleThere("github.com"));
        assertTrue(ModuleCache.noModuleThere("github.com/org"));
        assertTrue(ModuleCache.noModuleThere("gitlab.com/group"));
        assertFalse(ModuleCache.noModuleThere("github.com/org/repo"));
        assertFalse(ModuleCache.noModuleThere("example.com/org"));
        assertFalse(ModuleCache.noModuleThere("golang.org/x"), "unknown rule for it: left a warning");
    }

    /** On each host of the go command's table with a fixed shape, a prefix of that shape and the shape itself. */
    @ParameterizedTest(name = "{1} is no module, {0} may be")
    @CsvSource({
        "hub.jazz.net/git/user/repo, hub.jazz.net/git/user",
        "hub.jazz.net/git/user/repo, hub.jazz.net/git",
        "git.openstack.org/openstack/nova, git.openstack.org/openstack",
        "chiselapp.com/user/alice/repository/tool, chiselapp.com/user/alice/repository",
        "chiselapp.com/user/alice/repository/tool, chiselapp.com/user/alice",
        "chiselapp.com/user/alice/repository/tool, chiselapp.com/user"
    })
    void aPathShorterThanTheShortestModulePathOfItsHostIsNoModuleThere(String shortest, String shorter) {
        assertTrue(ModuleCache.noModuleThere(shorter), shorter);
        assertFalse(ModuleCache.noModuleThere(shortest), shortest);
    }

    @Test
    void theGoCommandsProbesOfPrefixesOnTheOtherKnownHostsAreNotWarnings() throws Exception {
        try (FakeUpstream upstream =
                        FakeUpstream.start().otherwise(FakeUpstream.status(403, "blocked by repository policy"));
                CapturedLog log = CapturedLog.of(ModuleCache.class, Level.FINE);
                ProxyUnderTest proxy = new ProxyUnderTest(upstream.url(), root)) {
            // what go get hub.jazz.net/git/user/repo/pkg@v1.0.0 and git.openstack.org/openstack/nova/pkg@v1.0.0 ask
            for (String probe : List.of(
                    "/hub.jazz.net/git/user/@v/v1.0.0.info",
                    "/hub.jazz.net/git/@v/v1.0.0.info",
                    "/git.openstack.org/openstack/@v/v1.0.0.info")) {
                assertEquals(403, proxy.getText(probe).statusCode(), probe);
            }
            assertEquals(List.of(), log.warnings(), "the go command's probes of prefixes");

            assertEquals(
                    403,
                    proxy.getText("/hub.jazz.net/git/user/repo/@v/v1.0.0.info").statusCode());
            assertEquals(1, log.warnings().size(), "a module's own path refused: " + log.warnings());
            assertTrue(
                    log.warnings().get(0).contains("hub.jazz.net/git/user/repo/@v/v1.0.0.info"), log.warnings() + "");
        }
    }
}
