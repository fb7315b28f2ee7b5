package dev.modproxy.proxy.http;

/**
 * The one byte range a {@code Range} header asks of a cached artifact (RFC 9110 14.1.2), resolved against its size:
 * {@code first-last}, {@code first-} or {@code -suffix}. Only a single range is served; a header that asks for several,
 * names another unit or cannot be read is ignored, which RFC 9110 14.2 allows (the whole artifact, 200).
 *
 * @param first the first byte sent
 * @param last the last byte sent; below {@code first} when nothing the artifact holds was asked for (416)
 */
record ByteRange(long first, long last) {

    private static final String BYTES = "bytes=";
    private static final ByteRange UNSATISFIABLE = new ByteRange(0, -1);

    /** The range a {@code Range} header asks of size bytes, or null when the header is to be ignored. */
    static ByteRange of(String header, long size) {
        if (header == null
                || size <= 0
                || !header.regionMatches(true, 0, BYTES, 0, BYTES.length())
                || header.indexOf(',') >= 0) {
            return null; // several ranges, even with one empty, are served whole rather than as multipart
        }
        String spec = header.substring(BYTES.length()).strip();
        int dash = spec.indexOf('-');
        if (dash < 0) {
            return null;
        }
        long first = digits(spec.substring(0, dash));
        long last = digits(spec.substring(dash + 1));
        if (dash == 0) { // -suffix: the last suffix bytes
            if (last < 0) {
                return null;
            }
            return last == 0 ? UNSATISFIABLE : new ByteRange(Math.max(0, size - last), size - 1);
        }
        boolean open = dash == spec.length() - 1;
        if (first < 0 || !open && (last < 0 || last < first)) {
            return null; // not digits, or last before first: an invalid range-spec (RFC 9110 14.1.1)
        }
        if (first >= size) {
            return UNSATISFIABLE;
        }
        return new ByteRange(first, open ? size - 1 : Math.min(last, size - 1));
    }

    /** The number the digits spell (Long.MAX_VALUE past its range: beyond any artifact), or -1 when not digits. */
    private static long digits(String s) {
        if (s.isEmpty() || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    boolean satisfiable() {
        return last >= first;
    }

    long length() {
        return last - first + 1;
    }

    /** The {@code Content-Range} of the answer: the part sent (206), or {@code bytes *}/size (416). */
    String contentRange(long size) {
        return satisfiable() ? "bytes " + first + "-" + last + "/" + size : "bytes */" + size;
    }
}
