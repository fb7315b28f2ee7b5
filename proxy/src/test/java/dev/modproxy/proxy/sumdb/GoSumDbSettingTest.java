package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.GoSumDb;
import java.net.URI;
import org.junit.jupiter.api.Test;

/** The rule itself is the contract's (GoSumDbTest); here, what the proxy makes of what it took. */
class GoSumDbSettingTest {

    private static final String TEST_KEY = "sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv";

    @Test
    void defaultIsSumGolangOrgWithItsWellKnownKey() throws SumDbException {
        for (String setting : new String[] {null, "", "sum.golang.org", GoSumDb.SUM_GOLANG_ORG_KEY}) {
            GoSumDbSetting parsed = GoSumDbSetting.parse(setting);
            assertEquals("sum.golang.org", parsed.name().orElseThrow());
            assertEquals(GoSumDb.SUM_GOLANG_ORG_KEY, parsed.key().orElseThrow().toString());
            assertEquals(0x033de0ae, parsed.key().orElseThrow().keyHash());
            assertEquals(URI.create("https://sum.golang.org"), parsed.url().orElseThrow());
        }
    }

    @Test
    void aLoginInTheDatabaseUrlIsSentButNeverShown() throws SumDbException {
        GoSumDbSetting parsed = GoSumDbSetting.parse(TEST_KEY + " https://sd:s3cret@sum.corp.example/db");

        assertEquals("sd:s3cret", parsed.url().orElseThrow().getUserInfo(), "the database is asked with the login");
        assertEquals("https://sd:xxxxx@sum.corp.example/db", parsed.shownUrl().orElseThrow());
        assertFalse(parsed.toString().contains("s3cret"), parsed::toString);
    }

    @Test
    void offMeansNoDatabase() throws SumDbException {
        GoSumDbSetting off = GoSumDbSetting.parse("off");

        assertTrue(off.isOff());
        assertFalse(off.name().isPresent());
        assertFalse(off.shownUrl().isPresent());
    }

    @Test
    void aRefusalIsTheContractsWords() {
        SumDbException refused = assertRefused(
                SumDbException.class,
                () -> GoSumDbSetting.parse(TEST_KEY.replace("8bd400dc", "8bd400dd") + " https://sd:s3cret@sum.corp"),
                "has the verifier key for sum.test, which does not match its hash 8bd400dd");
        assertFalse(refused.getMessage().contains("s3cret"), refused::getMessage);
    }
}
