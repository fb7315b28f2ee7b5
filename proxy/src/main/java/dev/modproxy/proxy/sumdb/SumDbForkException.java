package dev.modproxy.proxy.sumdb;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Two tree heads signed by the database's key that are not one history: the database (or whoever holds its key)
 * shows different logs to different askers. The go command stops at this with "SECURITY ERROR go.sum database
 * server misbehavior detected!" and both notes; the proxy refuses the head that disagrees with the one it verified
 * before, and both notes are the evidence.
 */
public final class SumDbForkException extends SumDbException {

    private final byte[] verifiedNote;
    private final byte[] refusedNote;

    SumDbForkException(String message, byte[] verifiedNote, byte[] refusedNote) {
        super(message);
        this.verifiedNote = verifiedNote.clone();
        this.refusedNote = refusedNote.clone();
    }

    /** The fork behind failure, when one is among its causes: a fork found while proving a lookup comes wrapped. */
    public static Optional<SumDbForkException> in(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SumDbForkException fork) {
                return Optional.of(fork);
            }
        }
        return Optional.empty();
    }

    /** The signed note of the tree verified before, on one line ("\n" for each newline). */
    public String verifiedNote() {
        return oneLine(verifiedNote);
    }

    /** The signed note of the tree refused, on one line. */
    public String refusedNote() {
        return oneLine(refusedNote);
    }

    /**
     * Its signed text holds no control character but newlines; the signature lines of other keys are not signed and
     * may hold any but spaces: every control character is escaped.
     */
    private static String oneLine(byte[] note) {
        StringBuilder out = new StringBuilder(note.length);
        new String(note, StandardCharsets.UTF_8).chars().forEach(c -> {
            if (c == '\n') {
                out.append("\\n");
            } else if (c < 0x20 || c == 0x7f) {
                out.append(String.format("\\u%04x", c));
            } else {
                out.append((char) c);
            }
        });
        return out.toString();
    }
}
