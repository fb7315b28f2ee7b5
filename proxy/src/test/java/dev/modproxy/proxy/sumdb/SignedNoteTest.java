package dev.modproxy.proxy.sumdb;

import static dev.modproxy.proxy.sumdb.Refusals.assertRefused;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SignedNoteTest {

    private static final String TEXT = "go.sum database tree\n5\nfQyPp0bJDpI+yb6xI63ELmUpLWkGrFzxgoEn8onClKc=\n";

    @Test
    void textSignedByTheKeyIsReturnedEvenAmongOtherSignatures() throws Exception {
        NoteSigner db = NoteSigner.create("sum.test");
        NoteSigner witness = NoteSigner.create("witness.test");
        String note = TEXT + "\n" + witness.signatureLine(TEXT) + db.signatureLine(TEXT);

        String text = SignedNote.verifiedText(note.getBytes(StandardCharsets.UTF_8), VerifierKey.parse(db.vkey()));

        assertEquals(TEXT, text);
        assertEquals(5, TreeHead.parse(text).size());
    }

    @Test
    void changedTextOrForeignSignatureIsRefused() throws Exception {
        NoteSigner db = NoteSigner.create("sum.test");
        NoteSigner other = NoteSigner.create("sum.test");
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
        NoteSigner db = NoteSigner.create("sum.test");
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
