package dev.modproxy.proxy.storage;

/**
 * A relative, slash-separated name of one stored object, e.g. {@code github.com/!foo/bar/@v/v1.0.0.zip}.
 * Validated again here so no key can name anything outside the storage root.
 */
public record StorageKey(String value) {

    public static final int MAX_LENGTH = 1024;

    public StorageKey {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("storage key must have 1.." + MAX_LENGTH + " characters");
        }
        for (String segment : value.split("/", -1)) {
            if (segment.isEmpty() || segment.charAt(0) == '.') {
                throw new IllegalArgumentException("storage key segment empty or starting with '.': " + value);
            }
            for (int i = 0; i < segment.length(); i++) {
                char c = segment.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z')
                        || (c >= 'A' && c <= 'Z')
                        || (c >= '0' && c <= '9')
                        || "-._~+!@".indexOf(c) >= 0;
                if (!ok) {
                    throw new IllegalArgumentException("storage key has character " + (int) c + ": " + value);
                }
            }
        }
    }

    @Override
    public String toString() {
        return value;
    }
}
