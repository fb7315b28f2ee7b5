package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VerifierKeyTest {

    @Test
    void wellKnownSumGolangOrgKeyParses() throws SumDbException {
        VerifierKey key = VerifierKey.parse(GoSumDbSetting.SUM_GOLANG_ORG_KEY);

        assertEquals("sum.golang.org", key.name());
        assertEquals(0x033de0ae, key.keyHash());
    }

    @Test
    void keysThatAreNotEd25519OrDoNotMatchTheirHashAreRefused() {
        String good = GoSumDbSetting.SUM_GOLANG_ORG_KEY;
        assertRefused(
                SumDbException.class,
                () -> VerifierKey.parse(good.replace("033de0ae", "033de0af")),
                "hash does not match");
        assertRefused(
                SumDbException.class, () -> VerifierKey.parse(good.replace("033de0ae", "33de0ae")), "8 hex digits");
        assertRefused(
                SumDbException.class, () -> VerifierKey.parse("sum.golang.org+033de0ae+AAAA"), "not an Ed25519 key");
        assertRefused(SumDbException.class, () -> VerifierKey.parse("sum.golang.org+033de0ae+%%%"), "not base64");
        assertRefused(SumDbException.class, () -> VerifierKey.parse("+033de0ae+Ac4zctda0e5eza"), "bad name");
        assertRefused(SumDbException.class, () -> VerifierKey.parse("sum.golang.org"), "want name+hash+key");
    }
}
