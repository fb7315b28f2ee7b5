package dev.modproxy.proxy.eviction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.contract.ByteSize;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WatermarksTest {

    @ParameterizedTest
    @CsvSource({"90%,0.9", "0.9,0.9", "90,0.9", " 75 % ,0.75", "1,1.0"})
    void watermarksAreReadAsFractionsOrPercentages(String text, double expected) {
        assertEquals(expected, Watermarks.fraction("X", text), 1e-9);
    }

    @Test
    void defaultsParse() {
        Watermarks w = Watermarks.parse("90%", "75%", null);
        assertEquals(0.9, w.high(), 1e-9);
        assertEquals(0.75, w.low(), 1e-9);
        assertTrue(w.maxSizeBytes().isEmpty());
    }

    @Test
    void lowAboveHighIsRefusedWithTheVariableNames() {
        var e = assertThrows(IllegalArgumentException.class, () -> Watermarks.parse("70%", "80%", null));
        assertTrue(
                e.getMessage()
                        .contains("MODPROXY_EVICTION_LOW_WATERMARK and MODPROXY_EVICTION_HIGH_WATERMARK need "
                                + "0% < low < high <= 100%"),
                e.getMessage());
        assertTrue(e.getMessage().endsWith("got high=70% low=80%"), e.getMessage());
        var notANumber = assertThrows(IllegalArgumentException.class, () -> Watermarks.parse("lots", "75%", null));
        assertTrue(notANumber.getMessage().contains("MODPROXY_EVICTION_HIGH_WATERMARK"), notANumber.getMessage());
    }

    @Test
    void aLogLineReadsThemAsPercentagesNotAsARecord() {
        assertEquals(
                "90% (down to 75%) of the volume",
                Watermarks.parse("0.9", "75%", null).toString());
        assertEquals(
                "90% (down to 72.5%) of the volume or of MODPROXY_MAX_SIZE 1024 bytes",
                Watermarks.parse("90%", "72.5%", "1Ki").toString());
    }

    @ParameterizedTest
    @CsvSource({"1048576,1048576", "512Mi,536870912", "10G,10000000000", "2GB,2000000000", "4ki,4096", "3 KiB,3072"})
    void maxSizeAcceptsKubernetesStyleQuantities(String text, long bytes) {
        assertEquals(bytes, ByteSize.parse(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "ten", "5X", "1.5G", ""})
    void badMaxSizeIsRefused(String text) {
        var e = assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(text));
        assertTrue(e.getMessage().contains("MODPROXY_MAX_SIZE"), e.getMessage());
    }

    @Test
    void nothingToFreeUntilTheHighMarkIsPassed() {
        Watermarks w = new Watermarks(0.9, 0.75, OptionalLong.of(1000));
        assertEquals(0, w.bytesToFree(900, 0, 0));
        assertEquals(251, w.bytesToFree(1001, 0, 0), "down to the low mark, not just under the high one");
    }

    @Test
    void aFullVolumeTriggersEvictionEvenUnderTheCap() {
        Watermarks w = new Watermarks(0.9, 0.75, OptionalLong.empty());
        assertEquals(0, w.bytesToFree(50, 1000, 900));
        assertEquals(200, w.bytesToFree(50, 1000, 950));
    }
}
