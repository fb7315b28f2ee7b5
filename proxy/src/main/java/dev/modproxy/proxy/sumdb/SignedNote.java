package dev.modproxy.proxy.sumdb;

import dev.modproxy.contract.GoSumDb;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;

/**
 * A signed note: UTF-8 text ending in a newline, a blank line, then signature lines
 * "— &lt;name&gt; &lt;base64(4-byte key hash || signature)&gt;". Only the text is signed.
 */
public final class SignedNote {

    private static final int MAX_SIGNATURES = 100;
    private static final String SIGNATURE_PREFIX = "\u2014 ";

    private SignedNote() {}

    /** Returns the note's text once a signature by key over it has been verified. */
    public static String verifiedText(byte[] note, VerifierKey key) throws SumDbException {
        String all = decode(note);
        int split = all.lastIndexOf("\n\n");
        if (split < 0) {
            throw new SumDbException("malformed note: no signatures");
        }
        String text = all.substring(0, split + 1);
        String signatures = all.substring(split + 2);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 && c != '\n' || c == 0x7f) {
                throw new SumDbException("malformed note: control character in text");
            }
        }
        if (signatures.isEmpty() || !signatures.endsWith("\n")) {
            throw new SumDbException("malformed note: signatures must end with a newline");
        }
        String[] lines = signatures.substring(0, signatures.length() - 1).split("\n", -1);
        if (lines.length > MAX_SIGNATURES) {
            throw new SumDbException("malformed note: too many signatures");
        }
        byte[] signed = text.getBytes(StandardCharsets.UTF_8);
        for (String line : lines) {
            Signed sig = parseSignature(line);
            if (sig.name.equals(key.name()) && sig.keyHash == key.keyHash()) {
                if (!key.verifies(signed, sig.signature)) {
                    throw new SumDbException("invalid signature by " + key.name() + " on note");
                }
                return text;
            }
        }
        throw new SumDbException("note has no signature by the checksum database key " + key.name() + "+"
                + String.format("%08x", key.keyHash()));
    }

    private record Signed(String name, int keyHash, byte[] signature) {}

    private static Signed parseSignature(String line) throws SumDbException {
        if (!line.startsWith(SIGNATURE_PREFIX)) {
            throw new SumDbException("malformed note: bad signature line");
        }
        String[] parts = line.substring(SIGNATURE_PREFIX.length()).split(" ", -1);
        if (parts.length != 2 || !GoSumDb.VerifierKey.isValidName(parts[0])) {
            throw new SumDbException("malformed note: bad signature line");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(parts[1]);
        } catch (IllegalArgumentException e) {
            throw new SumDbException("malformed note: signature is not base64");
        }
        if (raw.length < 5) {
            throw new SumDbException("malformed note: signature too short");
        }
        return new Signed(parts[0], ByteBuffer.wrap(raw).getInt(), Arrays.copyOfRange(raw, 4, raw.length));
    }

    private static String decode(byte[] note) throws SumDbException {
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(note))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new SumDbException("malformed note: not UTF-8");
        }
    }
}
