package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.contract.GoSumDb;
import org.junit.jupiter.api.Test;

/** The key's rules are the contract's (GoSumDbTest); here, that the proxy's key is the one the text names. */
class VerifierKeyTest {

    @Test
    void wellKnownSumGolangOrgKeyParses() throws SumDbException {
        VerifierKey key = VerifierKey.parse(GoSumDb.SUM_GOLANG_ORG_KEY);

        assertEquals("sum.golang.org", key.name());
        assertEquals(0x033de0ae, key.keyHash());
        assertEquals(GoSumDb.SUM_GOLANG_ORG_KEY, key.toString());
    }

    @Test
    void aKeyTheContractRefusesIsRefusedInItsWords() {
        assertRefused(
                SumDbException.class,
                () -> VerifierKey.parse(GoSumDb.SUM_GOLANG_ORG_KEY.replace("033de0ae", "033de0af")),
                "\"sum.golang.org+033de0af+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8\" has the verifier key for "
                        + "sum.golang.org, which does not match its hash 033de0af");
        assertRefused(SumDbException.class, () -> VerifierKey.parse("sum.golang.org"), "not name+hash+key");
    }
}
