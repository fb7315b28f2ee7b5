package dev.modproxy.proxy.sumdb;

/** The checksum database could not vouch for a module: unreachable, malformed, or proven wrong. */
public class SumDbException extends Exception {

    public SumDbException(String message) {
        super(message);
    }

    public SumDbException(String message, Throwable cause) {
        super(message, cause);
    }
}
