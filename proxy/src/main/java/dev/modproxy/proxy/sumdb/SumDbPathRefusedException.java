package dev.modproxy.proxy.sumdb;

/**
 * A source answered 403 or 400: it refuses the path to this proxy (a policy, an allow-list, a module host it does not
 * serve). Passed on to a client of /sumdb/ with that status and the source's reason, as an upstream's 403 or 400 for a
 * module is. To the verifier it is an outage: the database neither vouched for nor contradicted the module, so a
 * module is cached unverified, or refused with MODPROXY_SUMDB_REQUIRED, exactly as before this was told apart.
 */
public final class SumDbPathRefusedException extends SumDbUnreachableException {

    private final int status;

    public SumDbPathRefusedException(int status, String message) {
        super(message);
        this.status = status;
    }

    public SumDbPathRefusedException(int status, String message, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The source's status, 403 or 400: the one a client of /sumdb/ gets. */
    public int status() {
        return status;
    }
}
