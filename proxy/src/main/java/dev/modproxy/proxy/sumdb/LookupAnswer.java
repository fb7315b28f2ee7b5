package dev.modproxy.proxy.sumdb;

import dev.modproxy.proxy.protocol.RequestKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The database's answer to lookup/&lt;module&gt;@&lt;version&gt;: the record id on a line, the record
 * text (go.sum lines "&lt;module&gt; &lt;version&gt; h1:..." and "&lt;module&gt; &lt;version&gt;/go.mod h1:..."),
 * a blank line, and the signed note of the tree head the record belongs to.
 */
public record LookupAnswer(long recordId, byte[] record, byte[] signedTree) {

    public static LookupAnswer parse(byte[] answer) throws SumDbException {
        int idEnd = indexOf(answer, (byte) '\n', 0);
        if (idEnd < 0) {
            throw new SumDbException("malformed lookup answer: no record id line");
        }
        String idText = new String(answer, 0, idEnd, StandardCharsets.US_ASCII);
        long id;
        try {
            id = Long.parseLong(idText);
        } catch (NumberFormatException e) {
            throw new SumDbException("malformed lookup answer: record id " + quote(idText));
        }
        if (id < 0 || !Long.toString(id).equals(idText)) {
            throw new SumDbException("malformed lookup answer: record id " + quote(idText));
        }
        int blank = -1;
        for (int i = idEnd; i + 1 < answer.length; i++) {
            if (answer[i] == '\n' && answer[i + 1] == '\n') {
                blank = i;
                break;
            }
        }
        if (blank < 0 || blank == idEnd) {
            throw new SumDbException("malformed lookup answer: no record text before the signed tree");
        }
        byte[] record = Arrays.copyOfRange(answer, idEnd + 1, blank + 1);
        for (byte b : record) {
            if (b < 0x20 && b != '\n' || b == 0x7f) {
                throw new SumDbException("malformed lookup answer: control character in record");
            }
        }
        return new LookupAnswer(id, record, Arrays.copyOfRange(answer, blank + 2, answer.length));
    }

    /** The h1: hash the record states for the module version's artifact, or null if it states none. */
    public String hashFor(String module, String version, RequestKind artifact) {
        if (!artifact.checksummed()) {
            return null;
        }
        String prefix = module + " " + version + (artifact == RequestKind.MOD ? "/go.mod " : " ");
        for (String line : new String(record, StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(prefix)) {
                String hash = line.substring(prefix.length());
                return hash.contains(" ") ? null : hash;
            }
        }
        return null;
    }

    private static int indexOf(byte[] data, byte b, int from) {
        for (int i = from; i < data.length; i++) {
            if (data[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static String quote(String text) {
        return "\"" + (text.length() > 40 ? text.substring(0, 40) + "..." : text) + "\"";
    }
}
