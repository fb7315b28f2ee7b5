package dev.modproxy.proxy.sumdb;

/**
 * A source answered 403: it refuses the path to this proxy (a policy, an allow-list). Passed on to a client of
 * /sumdb/ as a 403 with the source's reason, as an upstream's 403 for a module is. To the verifier it is an outage:
 * the database neither vouched for nor contradicted the module, so a module is cached unverified, or refused with
 * MODPROXY_SUMDB_REQUIRED, exactly as before this was told apart.
 */
public final class SumDbForbiddenException extends SumDbUnreachableException {

    public SumDbForbiddenException(String message) {
        super(message);
    }

    public SumDbForbiddenException(String message, Throwable cause) {
        super(message, cause);
    }
}
