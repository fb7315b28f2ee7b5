package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import org.junit.jupiter.api.Test;

class GoSumDbSettingTest {

    private static final String TEST_KEY = "sum.test+8bd400dc+ATQMefWcGAeJ26aJN3ItgqINdKg39Rr1AFhkrPZQMolv";

    @Test
    void defaultIsSumGolangOrgWithItsWellKnownKey() throws SumDbException {
        for (String setting : new String[] {null, "", "sum.golang.org", GoSumDbSetting.SUM_GOLANG_ORG_KEY}) {
            GoSumDbSetting parsed = GoSumDbSetting.parse(setting);
            assertEquals("sum.golang.org", parsed.name().orElseThrow());
            assertEquals(
                    GoSumDbSetting.SUM_GOLANG_ORG_KEY,
                    parsed.key().orElseThrow().toString());
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
    void aRefusedSettingIsNamedWithoutItsLoginOrQuery() {
        SumDbException withQuery = assertRefused(
                SumDbException.class,
                () -> GoSumDbSetting.parse(TEST_KEY + " https://sum.corp.example/?token=tok3n"),
                "https://sum.corp.example/?xxxxx",
                "URL must be http(s)://host[/path]");
        assertFalse(withQuery.getMessage().contains("tok3n"), withQuery::getMessage);
        SumDbException unparsable = assertRefused(
                SumDbException.class,
                () -> GoSumDbSetting.parse(TEST_KEY + " https://sd:s3cret@sum.corp.example/a b"),
                "https://sd:xxxxx@sum.corp.example/a",
                "want a key and at most one URL");
        assertFalse(unparsable.getMessage().contains("s3cret"), unparsable::getMessage);
        SumDbException badUrl = assertRefused(
                SumDbException.class,
                () -> GoSumDbSetting.parse(TEST_KEY + " https://sd:s3cret@sum.corp.example/%zz"),
                "bad URL https://sd:xxxxx@sum.corp.example/%zz");
        assertFalse(badUrl.getMessage().contains("s3cret"), badUrl::getMessage);
    }

    @Test
    void chinaMirrorNameIsSumGolangOrgServedFromTheMirror() throws SumDbException {
        GoSumDbSetting parsed = GoSumDbSetting.parse("sum.golang.google.cn");

        assertEquals("sum.golang.org", parsed.name().orElseThrow());
        assertEquals(URI.create("https://sum.golang.google.cn"), parsed.url().orElseThrow());
    }

    @Test
    void wellKnownNameWithAnotherUrlKeepsTheKey() throws SumDbException {
        GoSumDbSetting parsed = GoSumDbSetting.parse("sum.golang.org https://goproxy.example/sumdb/sum.golang.org/");

        assertEquals(
                GoSumDbSetting.SUM_GOLANG_ORG_KEY, parsed.key().orElseThrow().toString());
        assertEquals(
                URI.create("https://goproxy.example/sumdb/sum.golang.org"),
                parsed.url().orElseThrow());
    }

    @Test
    void ownDatabaseByKeyAndUrl() throws SumDbException {
        GoSumDbSetting parsed = GoSumDbSetting.parse(TEST_KEY + " http://127.0.0.1:9999");

        assertEquals("sum.test", parsed.name().orElseThrow());
        assertEquals(URI.create("http://127.0.0.1:9999"), parsed.url().orElseThrow());
        assertEquals(
                URI.create("https://sum.test"),
                GoSumDbSetting.parse(TEST_KEY).url().orElseThrow());
    }

    @Test
    void offMeansNoDatabase() throws SumDbException {
        GoSumDbSetting off = GoSumDbSetting.parse("off");

        assertTrue(off.isOff());
        assertFalse(off.name().isPresent());
    }

    @Test
    void malformedSettingsAreRefusedWithTheReason() {
        assertRefused(SumDbException.class, () -> GoSumDbSetting.parse("sum.example.com"), "want name+hash+key");
        assertRefused(
                SumDbException.class, () -> GoSumDbSetting.parse(TEST_KEY + " http://a http://b"), "at most one URL");
        assertRefused(
                SumDbException.class, () -> GoSumDbSetting.parse(TEST_KEY + " ftp://host"), "URL must be http(s)");
        assertRefused(
                SumDbException.class,
                () -> GoSumDbSetting.parse(TEST_KEY.replace("8bd400dc", "8bd400dd")),
                "hash does not match the key");
    }
}
