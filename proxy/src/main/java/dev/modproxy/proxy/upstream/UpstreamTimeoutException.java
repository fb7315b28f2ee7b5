package dev.modproxy.proxy.upstream;

import java.io.IOException;

/** The upstream did not connect, answer, or send body bytes in time; maps to 504. */
public final class UpstreamTimeoutException extends IOException {

    public UpstreamTimeoutException(String message) {
        super(message);
    }
}
