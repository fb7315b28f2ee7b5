package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteSizeTest {

    @ParameterizedTest
    @CsvSource({
        "0,0",
        "1048576,1048576",
        "32Mi,33554432",
        "10G,10000000000",
        "2GB,2000000000",
        "4ki,4096",
        "3 KiB,3072",
        "' 1Ti ',1099511627776"
    })
    void readsWholeNumbersWithADecimalOrBinaryUnit(String text, long bytes) {
        assertThat(ByteSize.parse("MODPROXY_MEMORY_CACHE_SIZE", text)).isEqualTo(bytes);
    }

    /** Kubernetes quantities the CRD took before, which stopped the proxy at start. */
    @ParameterizedTest
    @ValueSource(strings = {"0.5Gi", "1e6", "1E", "1.5", "1Ei", "1Pi", "-1", "", "ten"})
    void refusesFractionsExponentsAndUnitsAboveT(String text) {
        assertThatThrownBy(() -> ByteSize.parse("spec.proxy.memoryCacheSize", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spec.proxy.memoryCacheSize must be a byte count such as 1073741824, 512Mi or 10G, got '"
                        + text + "'");
        assertThat(Pattern.compile(ByteSize.PATTERN).matcher(text.trim()).matches())
                .isFalse();
    }

    /** An overflow was an ArithmeticException, which the proxy's start-up did not report as a setting's fault. */
    @ParameterizedTest
    @ValueSource(strings = {"99999999999T", "9223372036854775808", "99999999999999999999999"})
    void refusesSizesBeyondWhatALongCounts(String text) {
        assertThatThrownBy(() -> ByteSize.parse("spec.proxy.memoryCacheSize", text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("spec.proxy.memoryCacheSize is more bytes than the proxy can count (at most 8 EiB), got '"
                        + text + "'");
    }
}
