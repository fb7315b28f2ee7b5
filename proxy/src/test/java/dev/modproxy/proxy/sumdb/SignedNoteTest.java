package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

class SignedNoteTest {

    private static final String TEXT = "go.sum database tree\n5\nfQyPp0bJDpI+yb6xI63ELmUpLWkGrFzxgoEn8onClKc=\n";

    /** A signer made here: an Ed25519 key pair and its verifier key text. */
    private record Signer(String name, KeyPair pair, String vkey) {
        static Signer create(String name) throws Exception {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            byte[] encoded = pair.getPublic().getEncoded();
            byte[] algAndKey = new byte[33];
            algAndKey[0] = 1;
            System.arraycopy(encoded, encoded.length - 32, algAndKey, 1, 32);
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update((name + "\n").getBytes(StandardCharsets.UTF_8));
            byte[] hash = Arrays.copyOf(sha.digest(algAndKey), 4);
            return new Signer(
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
    }

    @Test
    void textSignedByTheKeyIsReturnedEvenAmongOtherSignatures() throws Exception {
        Signer db = Signer.create("sum.test");
        Signer witness = Signer.create("witness.test");
        String note = TEXT + "\n" + witness.signatureLine(TEXT) + db.signatureLine(TEXT);

        String text = SignedNote.verifiedText(note.getBytes(StandardCharsets.UTF_8), VerifierKey.parse(db.vkey()));

        assertEquals(TEXT, text);
        assertEquals(5, TreeHead.parse(text).size());
    }

    @Test
    void changedTextOrForeignSignatureIsRefused() throws Exception {
        Signer db = Signer.create("sum.test");
        Signer other = Signer.create("sum.test");
        VerifierKey key = VerifierKey.parse(db.vkey());
        String changed = TEXT.replace("\n5\n", "\n6\n") + "\n" + db.signatureLine(TEXT);
        String foreign = TEXT + "\n" + other.signatureLine(TEXT);

        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes(changed), key),
                "invalid signature by sum.test");
        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes(foreign), key),
                "no signature by the checksum database key");
    }

    @Test
    void malformedNotesAreRefused() throws Exception {
        Signer db = Signer.create("sum.test");
        VerifierKey key = VerifierKey.parse(db.vkey());
        String line = db.signatureLine(TEXT);

        assertRefused(SumDbException.class, () -> SignedNote.verifiedText(bytes(TEXT), key), "no signatures");
        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes(TEXT + "\n" + line.trim()), key),
                "end with a newline");
        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes(TEXT + "\n- sum.test AAAA\n"), key),
                "bad signature line");
        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes(TEXT + "\n\u2014 sum.test !!!\n"), key),
                "not base64");
        assertRefused(
                SumDbException.class,
                () -> SignedNote.verifiedText(bytes("a\u0007b\n\n" + line), key),
                "control character");
        byte[] notUtf8 = bytes(TEXT + "\n" + line);
        notUtf8[3] = (byte) 0xff;
        assertRefused(SumDbException.class, () -> SignedNote.verifiedText(notUtf8, key), "not UTF-8");
    }

    @Test
    void malformedTreeNotesAreRefused() {
        assertRefused(
                SumDbException.class,
                () -> TreeHead.parse("go.sum database tree\n05\nfQyPp0bJDpI+yb6xI63ELmUpLWkGrFzxgoEn8onClKc=\n"),
                "size 05");
        assertRefused(SumDbException.class, () -> TreeHead.parse("go.sum database tree\n5\nAAAA\n"), "malformed hash");
        assertRefused(SumDbException.class, () -> TreeHead.parse("other tree\n5\n"), "does not start with");
        assertRefused(
                SumDbException.class, () -> TreeHead.parse("go.sum database tree\n5\n"), "want size and hash lines");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
