package dev.modproxy.operator.settings;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The first 16 hex characters of a SHA-256 digest: what the pod template's hash annotations carry (the proxy
 * settings' and the template's own). 64 bits tell apart every version a cache's settings or template will have;
 * the annotations stay short enough to read in kubectl output.
 */
public final class ShortDigest {

    private ShortDigest() {}

    public static String of(byte[] bytes) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(bytes))
                    .substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
