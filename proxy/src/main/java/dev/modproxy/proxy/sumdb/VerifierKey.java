package dev.modproxy.proxy.sumdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A note verifier key, "&lt;name&gt;+&lt;hash&gt;+&lt;base64 key&gt;": the name of the signer, the first four
 * bytes of SHA-256(name + "\n" + key) in hex, and the key itself, an algorithm byte (1, Ed25519)
 * followed by the 32-byte Ed25519 public key.
 */
public final class VerifierKey {

    private static final byte ALG_ED25519 = 1;
    // DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519; the raw key follows it.
    private static final byte[] ED25519_SPKI_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    };

    private final String text;
    private final String name;
    private final int keyHash;
    private final PublicKey publicKey;

    private VerifierKey(String text, String name, int keyHash, PublicKey publicKey) {
        this.text = text;
        this.name = name;
        this.keyHash = keyHash;
        this.publicKey = publicKey;
    }

    public static VerifierKey parse(String text) throws SumDbException {
        String[] parts = text.split("\\+", 3);
        if (parts.length != 3) {
            throw new SumDbException("malformed verifier key " + text + ": want name+hash+key");
        }
        String name = parts[0];
        if (!isValidName(name)) {
            throw new SumDbException("malformed verifier key " + text + ": bad name");
        }
        if (!parts[1].matches("[0-9a-f]{8}")) {
            throw new SumDbException("malformed verifier key " + text + ": hash must be 8 hex digits");
        }
        int declaredHash = Integer.parseUnsignedInt(parts[1], 16);
        byte[] key;
        try {
            key = Base64.getDecoder().decode(parts[2]);
        } catch (IllegalArgumentException e) {
            throw new SumDbException("malformed verifier key " + text + ": key is not base64");
        }
        if (key.length != 33 || key[0] != ALG_ED25519) {
            throw new SumDbException("malformed verifier key " + text + ": not an Ed25519 key");
        }
        int actualHash = keyHash(name, key);
        if (actualHash != declaredHash) {
            throw new SumDbException("malformed verifier key " + text + ": hash does not match the key");
        }
        return new VerifierKey(text, name, actualHash, ed25519(key, text));
    }

    static boolean isValidName(String name) {
        return !name.isEmpty()
                && name.codePoints().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '+')
                && StandardCharsets.UTF_8.newEncoder().canEncode(name);
    }

    private static int keyHash(String name, byte[] algAndKey) {
        var sha = LogHash.sha256();
        sha.update((name + "\n").getBytes(StandardCharsets.UTF_8));
        sha.update(algAndKey);
        return ByteBuffer.wrap(sha.digest()).getInt();
    }

    private static PublicKey ed25519(byte[] algAndKey, String text) throws SumDbException {
        byte[] spki = new byte[ED25519_SPKI_PREFIX.length + 32];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(algAndKey, 1, spki, ED25519_SPKI_PREFIX.length, 32);
        try {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
        } catch (GeneralSecurityException e) {
            throw new SumDbException("malformed verifier key " + text + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return name;
    }

    public int keyHash() {
        return keyHash;
    }

    /** Whether signature is this key's Ed25519 signature of message. */
    public boolean verifies(byte[] message, byte[] signature) {
        try {
            Signature ed = Signature.getInstance("Ed25519");
            ed.initVerify(publicKey);
            ed.update(message);
            return ed.verify(signature);
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
