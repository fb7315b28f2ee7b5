package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.GoSumDb;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.upstream.EgressProxy;
import dev.modproxy.proxy.upstream.UpstreamChain;
import dev.modproxy.proxy.upstream.UpstreamListener;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChecksumDatabaseTest {

    @TempDir
    Path dir;

    /** The database as MODPROXY_SUMDB, MODPROXY_NOSUMDB and MODPROXY_PRIVATE would give it. */
    private ChecksumDatabase database(String sumdb, String nosumdb, String privatePatterns) throws Exception {
        UpstreamChain.Settings connection =
                new UpstreamChain.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), 5, Duration.ofSeconds(1));
        UpstreamChain chain = UpstreamChain.parse("https://goproxy.example", connection, UpstreamListener.NONE);
        return new ChecksumDatabase(
                GoSumDbSetting.parse(sumdb == null ? GoSumDb.DEFAULT : sumdb),
                ChecksumDatabase.exemptPatterns(
                        nosumdb == null ? "" : nosumdb, privatePatterns == null ? "" : privatePatterns),
                new LocalDiskStorage(dir),
                chain,
                connection,
                Duration.ofSeconds(5),
                EgressProxy.of(Map.of()),
                Duration.ofMinutes(1));
    }

    @Test
    void defaultIsSumGolangOrgAndPrivateOrNoSumDbModulesAreExempt() throws Exception {
        ChecksumDatabase database = database(null, "corp.example.com", "git.example.org/team");

        assertEquals("sum.golang.org", database.setting().name().orElseThrow());
        assertTrue(database.verifierFor("github.com/pkg/errors").isPresent());
        assertFalse(database.verifierFor("corp.example.com/tools/lint").isPresent());
        assertFalse(database.verifierFor("git.example.org/team/app").isPresent());
    }

    @Test
    void offServesNoDatabaseAndVerifiesNothing() throws Exception {
        ChecksumDatabase database = database("off", null, null);

        assertFalse(database.cache().isPresent());
        assertFalse(database.verifierFor("github.com/pkg/errors").isPresent());
    }
}
