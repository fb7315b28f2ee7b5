package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.config.ProxyConfig;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ChecksumDatabaseTest {

    @TempDir
    Path dir;

    /** Configuration as MODPROXY_SUMDB, MODPROXY_NOSUMDB and MODPROXY_PRIVATE would give it. */
    private static ProxyConfig config(String sumdb, String nosumdb, String privatePatterns) {
        return (ProxyConfig) Proxy.newProxyInstance(ProxyConfig.class.getClassLoader(), new Class<?>[] {ProxyConfig.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "sumdb" -> Optional.ofNullable(sumdb);
                    case "nosumdb" -> Optional.ofNullable(nosumdb);
                    case "privatePatterns" -> Optional.ofNullable(privatePatterns);
                    case "upstream" -> "https://goproxy.example";
                    case "breakerFailures" -> 5;
                    case "connectTimeout", "readTimeout", "mutableTtl", "breakerCoolDown" -> Duration.ofSeconds(5);
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    private ChecksumDatabase database(ProxyConfig config) throws Exception {
        UpstreamChain chain = UpstreamChain.parse(config.upstream(),
                new UpstreamChain.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 5, Duration.ofSeconds(1)), UpstreamListener.NONE);
        return new ChecksumDatabase(config, new LocalDiskStorage(dir), chain);
    }

    @Test
    void defaultIsSumGolangOrgAndPrivateOrNoSumDbModulesAreExempt() throws Exception {
        ChecksumDatabase database = database(config(null, "corp.example.com", "git.example.org/team"));

        assertEquals("sum.golang.org", database.setting().name().orElseThrow());
        assertTrue(database.verifierFor("github.com/pkg/errors").isPresent());
        assertFalse(database.verifierFor("corp.example.com/tools/lint").isPresent());
        assertFalse(database.verifierFor("git.example.org/team/app").isPresent());
    }

    @Test
    void offServesNoDatabaseAndVerifiesNothing() throws Exception {
        ChecksumDatabase database = database(config("off", null, null));

        assertFalse(database.cache().isPresent());
        assertFalse(database.verifierFor("github.com/pkg/errors").isPresent());
    }

    @Test
    void malformedSettingStopsStartupWithOneLineNamingTheVariableAndWhatItTakes() {
        var refused = assertRefused(io.quarkus.runtime.configuration.ConfigurationException.class,
                () -> database(config("sum.example.com+00000000+AAAA", null, null)),
                "MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org", "invalid GOSUMDB");
        // Quarkus prints a configuration problem without a cause as its message alone
        org.junit.jupiter.api.Assertions.assertNull(refused.getCause());
        org.junit.jupiter.api.Assertions.assertFalse(refused.getMessage().contains("\n"));
    }
}
