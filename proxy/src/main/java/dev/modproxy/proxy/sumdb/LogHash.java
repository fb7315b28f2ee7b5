package dev.modproxy.proxy.sumdb;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/** A SHA-256 hash in the transparent log: of a record, or of a node of the Merkle tree. */
public final class LogHash {

    public static final int SIZE = 32;

    private final byte[] bytes;

    private LogHash(byte[] bytes) {
        this.bytes = bytes;
    }

    public static LogHash of(byte[] bytes, int offset) {
        if (offset < 0 || bytes.length - offset < SIZE) {
            throw new IllegalArgumentException("need " + SIZE + " bytes for a hash");
        }
        return new LogHash(Arrays.copyOfRange(bytes, offset, offset + SIZE));
    }

    public static LogHash fromBase64(String text) throws SumDbException {
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(text);
        } catch (IllegalArgumentException e) {
            throw new SumDbException("malformed hash " + text);
        }
        if (raw.length != SIZE) {
            throw new SumDbException("malformed hash " + text + ": " + raw.length + " bytes");
        }
        return new LogHash(raw);
    }

    /** RFC 6962 leaf hash: SHA-256(0x00 || record). */
    public static LogHash ofRecord(byte[] record) {
        MessageDigest sha = sha256();
        sha.update((byte) 0);
        sha.update(record);
        return new LogHash(sha.digest());
    }

    /** RFC 6962 interior node hash: SHA-256(0x01 || left || right). */
    public static LogHash ofNode(LogHash left, LogHash right) {
        MessageDigest sha = sha256();
        sha.update((byte) 1);
        sha.update(left.bytes);
        sha.update(right.bytes);
        return new LogHash(sha.digest());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    public void copyTo(byte[] target, int offset) {
        System.arraycopy(bytes, 0, target, offset, SIZE);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LogHash && MessageDigest.isEqual(bytes, ((LogHash) other).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return Base64.getEncoder().encodeToString(bytes);
    }
}
