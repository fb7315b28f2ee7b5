package dev.modproxy.proxy.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/** The test log (the %test levels in application.properties, which Quarkus applies to plain tests too): expected
 * refusals stay out of it; errors, and every other category's warnings, stay in. */
class QuietExpectedLogTest {

    @Test
    void refusedUpstreamAnswersAndFullDisksAreNotPrintedButErrorsAre() {
        for (String category :
                new String[] {"dev.modproxy.proxy.cache.ModuleCache", "dev.modproxy.proxy.storage.PassThroughStorage"
                }) {
            Logger logger = Logger.getLogger(category);
            assertFalse(logger.isLoggable(Level.WARNING), category + " warnings are the outcomes these tests provoke");
            assertTrue(logger.isLoggable(Level.SEVERE), category + " errors still print");
        }
        Logger storage = Logger.getLogger("dev.modproxy.proxy.storage.LocalDiskStorage");
        assertFalse(storage.isLoggable(Level.INFO), "each storage's start-up count is not printed");
        assertTrue(storage.isLoggable(Level.WARNING), "a failed count still prints, with its stack trace");
        assertTrue(
                Logger.getLogger("dev.modproxy.proxy.upstream.UpstreamClient").isLoggable(Level.WARNING),
                "other categories are untouched");
    }
}
