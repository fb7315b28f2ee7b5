package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.function.Executable;

/** Asserts that an action is refused with an error naming what went wrong. */
final class Refusals {

    private Refusals() {}

    static <T extends Throwable> T assertRefused(Class<T> type, Executable action, String... messageParts) {
        T error = assertThrows(type, action);
        for (String part : messageParts) {
            assertTrue(
                    String.valueOf(error.getMessage()).contains(part),
                    () -> "message \"" + error.getMessage() + "\" should contain \"" + part + "\"");
        }
        return error;
    }
}
