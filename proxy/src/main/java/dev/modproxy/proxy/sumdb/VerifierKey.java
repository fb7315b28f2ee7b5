package dev.modproxy.proxy.sumdb;

import dev.modproxy.contract.GoSumDb;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;

/**
 * A note verifier key, read and checked by the contract's {@link GoSumDb.VerifierKey} (name, hash, Ed25519), with
 * what the proxy alone does with it: checking Ed25519 signatures.
 */
public final class VerifierKey {

    // DER prefix of an X.509 SubjectPublicKeyInfo for Ed25519; the raw key follows it.
    private static final byte[] ED25519_SPKI_PREFIX = {
        0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00
    };

    private final GoSumDb.VerifierKey key;
    private final PublicKey publicKey;

    private VerifierKey(GoSumDb.VerifierKey key, PublicKey publicKey) {
        this.key = key;
        this.publicKey = publicKey;
    }

    public static VerifierKey parse(String text) throws SumDbException {
        try {
            return of(GoSumDb.VerifierKey.parse(text));
        } catch (GoSumDb.InvalidException e) {
            throw new SumDbException("\"" + text + "\" has " + e.getMessage());
        }
    }

    static VerifierKey of(GoSumDb.VerifierKey key) throws SumDbException {
        byte[] raw = key.ed25519PublicKey();
        byte[] spki = new byte[ED25519_SPKI_PREFIX.length + raw.length];
        System.arraycopy(ED25519_SPKI_PREFIX, 0, spki, 0, ED25519_SPKI_PREFIX.length);
        System.arraycopy(raw, 0, spki, ED25519_SPKI_PREFIX.length, raw.length);
        try {
            return new VerifierKey(key, KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
        } catch (GeneralSecurityException e) {
            throw new SumDbException("malformed verifier key " + key + ": " + e.getMessage(), e);
        }
    }

    public String name() {
        return key.name();
    }

    public int keyHash() {
        return key.hash();
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
        return key.toString();
    }
}
