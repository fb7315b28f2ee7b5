package dev.modproxy.proxy.sumdb;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;

/** A signer made in a test: an Ed25519 key pair and its verifier key text, to sign notes no real database would. */
record NoteSigner(String name, KeyPair pair, String vkey) {

    static NoteSigner create(String name) throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] encoded = pair.getPublic().getEncoded();
        byte[] algAndKey = new byte[33];
        algAndKey[0] = 1;
        System.arraycopy(encoded, encoded.length - 32, algAndKey, 1, 32);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update((name + "\n").getBytes(StandardCharsets.UTF_8));
        byte[] hash = Arrays.copyOf(sha.digest(algAndKey), 4);
        return new NoteSigner(
                name,
                pair,
                name + "+" + String.format("%08x", ByteBuffer.wrap(hash).getInt()) + "+"
                        + Base64.getEncoder().encodeToString(algAndKey));
    }

    String signatureLine(String text) throws Exception {
        Signature ed = Signature.getInstance("Ed25519");
        ed.initSign(pair.getPrivate());
        ed.update(text.getBytes(StandardCharsets.UTF_8));
        byte[] sig = ed.sign();
        byte[] raw = ByteBuffer.allocate(4 + sig.length)
                .putInt(VerifierKey.parse(vkey).keyHash())
                .put(sig)
                .array();
        return "\u2014 " + name + " " + Base64.getEncoder().encodeToString(raw) + "\n";
    }

    /** A tree head note of this size and root hash, signed by this key alone. */
    byte[] treeNote(long size, LogHash hash) throws Exception {
        String text = "go.sum database tree\n" + size + "\n" + hash + "\n";
        return (text + "\n" + signatureLine(text)).getBytes(StandardCharsets.UTF_8);
    }
}
