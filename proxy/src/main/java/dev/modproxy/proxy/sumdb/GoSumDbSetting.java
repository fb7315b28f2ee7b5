package dev.modproxy.proxy.sumdb;

import dev.modproxy.contract.GoSumDb;
import dev.modproxy.contract.Redacted;
import java.net.URI;
import java.util.Optional;

/**
 * The checksum database of MODPROXY_SUMDB, read by the contract's {@link GoSumDb} (the GOSUMDB rule the operator
 * checks spec.sumdb by), with its key ready to check signatures.
 */
public final class GoSumDbSetting {

    private final GoSumDb sumDb;
    private final VerifierKey key;

    private GoSumDbSetting(GoSumDb sumDb, VerifierKey key) {
        this.sumDb = sumDb;
        this.key = key;
    }

    public static GoSumDbSetting of(GoSumDb sumDb) throws SumDbException {
        return new GoSumDbSetting(
                sumDb, sumDb.isOff() ? null : VerifierKey.of(sumDb.key().orElseThrow()));
    }

    /** {@link GoSumDb#parse} then {@link #of}, its refusal as a SumDbException. */
    public static GoSumDbSetting parse(String setting) throws SumDbException {
        GoSumDb sumDb;
        try {
            sumDb = GoSumDb.parse(setting);
        } catch (GoSumDb.InvalidException e) {
            throw new SumDbException(e.getMessage());
        }
        return of(sumDb);
    }

    public boolean isOff() {
        return key == null;
    }

    /** The database's name, as in /sumdb/&lt;name&gt;/ paths. */
    public Optional<String> name() {
        return key().map(VerifierKey::name);
    }

    public Optional<VerifierKey> key() {
        return Optional.ofNullable(key);
    }

    /** The database's URL for logs: its password, if any, hidden. */
    public Optional<String> shownUrl() {
        return url().map(u -> Redacted.url(u.toString()));
    }

    /** Where the database itself answers, without a trailing slash; a login in it is sent as Basic auth. */
    public Optional<URI> url() {
        return sumDb.url();
    }

    @Override
    public String toString() {
        return sumDb.toString();
    }
}
