package dev.modproxy.proxy.cache;

import java.io.IOException;
import java.util.Arrays;

/**
 * Forwards a download to its first client while it is being staged, always holding back the last
 * chunk until the artifact is verified and stored: a client never receives a complete body that
 * the cache then rejects.
 */
final class ClientTee {

    private final ClientStream client;
    private boolean begun;
    private boolean broken;
    private byte[] held;

    ClientTee(ClientStream client) {
        this.client = client;
    }

    boolean begun() {
        return begun;
    }

    void chunk(byte[] data, int length, long contentLength) {
        if (client == null || broken) {
            return;
        }
        byte[] copy = Arrays.copyOf(data, length);
        try {
            if (!begun) {
                begun = true;
                client.begin(contentLength);
            }
            if (held != null) {
                client.write(held);
            }
            held = copy;
        } catch (IOException e) {
            broken = true; // the client went away; the download continues for the cache
        }
    }

    /** The artifact is stored: release the last chunk and complete the response. */
    boolean finish() {
        if (!begun) {
            return false;
        }
        if (broken) {
            client.abort();
            return true;
        }
        try {
            if (held != null) {
                client.write(held);
            }
            client.end();
        } catch (IOException e) {
            client.abort();
        }
        return true;
    }

    void abort() {
        if (begun) {
            client.abort();
        }
    }
}
