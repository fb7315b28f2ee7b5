package dev.modproxy.proxy.sumdb;

/** The checksum database (or the proxy asked for it) answered 404 or 410, or a source holds no such piece. */
public class SumDbNotFoundException extends SumDbException {

    public SumDbNotFoundException(String message) {
        super(message);
    }
}
