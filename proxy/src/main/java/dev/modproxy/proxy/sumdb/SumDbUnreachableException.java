package dev.modproxy.proxy.sumdb;

/**
 * No source gave any answer at all (connection failures, timeouts, 5xx, or proxies that do not
 * relay the database): the database neither vouched for nor contradicted the module.
 */
public class SumDbUnreachableException extends SumDbException {

    public SumDbUnreachableException(String message) {
        super(message);
    }

    public SumDbUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
