package dev.modproxy.proxy.e2e;

/** The GOPROXY case-encoding of module paths and versions: each upper-case letter becomes '!' and its lower case. */
final class CaseEncoding {

    private CaseEncoding() {
    }

    static String encode(String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c >= 'A' && c <= 'Z') {
                out.append('!').append(Character.toLowerCase(c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
