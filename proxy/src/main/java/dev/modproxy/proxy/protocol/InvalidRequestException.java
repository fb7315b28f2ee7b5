package dev.modproxy.proxy.protocol;

/** A request that is not part of the GOPROXY protocol; carries the HTTP status and a one-line reason. */
public final class InvalidRequestException extends Exception {

    private final int status;

    public InvalidRequestException(int status, String reason) {
        super(reason, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
