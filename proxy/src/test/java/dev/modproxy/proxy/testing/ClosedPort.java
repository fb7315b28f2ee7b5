package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;

/** An HTTP address on loopback that nothing listens on: a link that is cut, refused at once. */
public final class ClosedPort {

    private ClosedPort() {}

    /** {@code http://127.0.0.1:<port>} of a port that was free a moment ago and is closed again. */
    public static String url() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return "http://127.0.0.1:" + socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
