package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.sumdb.GoSumDbSetting;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * MODPROXY_SUMDB_REQUIRED=true with MODPROXY_SUMDB=off was taken without a word (seen starting the jar with both): the
 * database the setting requires is off, and every module is cached unverified.
 */
class SumDbRequiredWithoutADatabaseTest {

    @Test
    void requiredWithTheDatabaseOffIsWarnedOf() throws Exception {
        assertEquals(
                Optional.of("modproxy: MODPROXY_SUMDB_REQUIRED=true has no effect with MODPROXY_SUMDB=off: there is no"
                        + " checksum database to require, and every module is cached unverified; set MODPROXY_SUMDB to"
                        + " a database (sum.golang.org, sum.golang.google.cn) to have modules verified"),
                ProxyStartup.sumDbRequiredWithoutADatabase(GoSumDbSetting.parse("off"), true));
    }

    @Test
    void eitherAloneIsNoConflict() throws Exception {
        assertEquals(Optional.empty(), ProxyStartup.sumDbRequiredWithoutADatabase(GoSumDbSetting.parse("off"), false));
        assertEquals(
                Optional.empty(),
                ProxyStartup.sumDbRequiredWithoutADatabase(GoSumDbSetting.parse("sum.golang.org"), true));
    }
}
