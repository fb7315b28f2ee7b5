package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SettingValueRuleTest {

    /** The lines the proxy stopped at start with (BadSettingIT), now said by the rule the operator checks with. */
    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
            MODPROXY_PREFETCH               | maybe  | MODPROXY_PREFETCH must be true or false, got 'maybe'
            MODPROXY_S3_PATH_STYLE          | sure   | MODPROXY_S3_PATH_STYLE must be true or false, got 'sure'
            MODPROXY_MUTABLE_TTL            | banana | MODPROXY_MUTABLE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got 'banana'
            MODPROXY_NEGATIVE_TTL           | -1s    | MODPROXY_NEGATIVE_TTL must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '-1s'
            MODPROXY_CLIENT_STALL_TIMEOUT   | 0ms    | MODPROXY_CLIENT_STALL_TIMEOUT must be more than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0ms'
            MODPROXY_ZIP_DOWNLOAD_DEADLINE  | 1.5m   | MODPROXY_ZIP_DOWNLOAD_DEADLINE must be a duration such as 500ms, 30s, 5m, 1h or PT30S, got '1.5m'
            MODPROXY_MAX_DOWNLOADS          | 0      | MODPROXY_MAX_DOWNLOADS must be a whole number of 1 or more, got '0'
            MODPROXY_PREFETCH_CONCURRENCY   | many   | MODPROXY_PREFETCH_CONCURRENCY must be a whole number of 1 or more, got 'many'
            MODPROXY_PASS_THROUGH_MAX_SIZE  | lots   | MODPROXY_PASS_THROUGH_MAX_SIZE must be a byte count such as 1073741824, 512Mi or 10G, got 'lots'
            MODPROXY_PREFETCH_MAX_BYTES     | 0      | MODPROXY_PREFETCH_MAX_BYTES must be more than 0 (a byte count such as 256Mi), got '0'
            MODPROXY_PREFETCH_MAX_BYTES     | 1.5G   | MODPROXY_PREFETCH_MAX_BYTES must be a byte count such as 1073741824, 512Mi or 10G, got '1.5G'
            MODPROXY_READ_TIMEOUT           | 999999999999d | MODPROXY_READ_TIMEOUT must be at most 106751d (292 years, the longest wait the proxy can count in nanoseconds), got '999999999999d'
            MODPROXY_MUTABLE_TTL            | 106752d | MODPROXY_MUTABLE_TTL must be at most 106751d (292 years, the longest wait the proxy can count in nanoseconds), got '106752d'
            MODPROXY_PRIVATE                | [bad    | MODPROXY_PRIVATE (GOPRIVATE-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[bad" has a '[' that no ']' closes
            MODPROXY_NOSUMDB                | a,[]a]  | MODPROXY_NOSUMDB (GONOSUMDB-style comma-separated globs such as corp.example.com,*.corp.example.com,github.com/acme): pattern "[]a]" has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]
            MODPROXY_SUMDB                  | a+b+c   | MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org, sum.golang.google.cn, name+hash+key, sum.golang.org https://url, name+hash+key https://url, or off): "a+b+c" has the verifier key for a, whose hash b is not 8 hex digits; copy name+hash+key whole as the database's operator publishes it
            MODPROXY_SUMDB                  | sum.golang.org https://ci:s3cret@sum.corp/?token=t0k | MODPROXY_SUMDB (GOSUMDB syntax: sum.golang.org, sum.golang.google.cn, name+hash+key, sum.golang.org https://url, name+hash+key https://url, or off): "sum.golang.org https://ci:xxxxx@sum.corp/?xxxxx" has a URL that is not http(s)://host[/path] without a query
            """)
    void aValueTheProxyCannotUseIsItsOneLine(String variable, String value, String line) {
        assertThat(SettingValueRule.of(variable).orElseThrow().problem(variable, value))
                .contains(line);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', textBlock = """
            MODPROXY_PREFETCH               | off
            MODPROXY_PREFETCH               | ' TRUE '
            MODPROXY_BREAKER_COOL_DOWN      | 0
            MODPROXY_CLIENT_STALL_TIMEOUT   | PT1.5S
            MODPROXY_MAX_DOWNLOADS          | 1
            MODPROXY_PREFETCH_MAX_ZIP_SIZE  | 0
            MODPROXY_MUTABLE_TTL            | 106751d
            MODPROXY_PREFETCH_MAX_BYTES     | 1
            MODPROXY_PASS_THROUGH_MAX_SIZE  | 2Gi
            MODPROXY_PASS_THROUGH_DIR       | anything at all
            MODPROXY_PRIVATE                | 'corp.example.com, *.corp.example.com/[a-c]*'
            MODPROXY_NOSUMDB                | ','
            MODPROXY_SUMDB                  | 'sum.golang.org \t https://goproxy.cn/sumdb/sum.golang.org'
            MODPROXY_SUMDB                  | off
            """)
    void aValueTheProxyTakesIsNoProblem(String variable, String value) {
        assertThat(SettingValueRule.of(variable).orElseThrow().problem(variable, value))
                .isEmpty();
    }

    @Test
    void theReadersGiveWhatTheRuleTook() {
        assertThat(SettingValueRule.POSITIVE_DURATION.duration("MODPROXY_READ_TIMEOUT", "1h30m"))
                .isEqualTo(Duration.ofMinutes(90));
        assertThat(SettingValueRule.COUNT.count("MODPROXY_PREFETCH_QUEUE", " 64 "))
                .isEqualTo(64);
        assertThat(SettingValueRule.SWITCH.switchedOn("MODPROXY_PREFETCH", "n")).isFalse();
        assertThat(SettingValueRule.POSITIVE_SIZE.bytes("MODPROXY_PREFETCH_MAX_BYTES", "256Mi"))
                .isEqualTo(256L << 20);
    }

    /** A reader of another kind is the caller's mistake: it would otherwise pass a count off as a duration. */
    @Test
    void aVariableIsReadOnlyAsItsRuleSays() {
        assertThatThrownBy(() -> SettingValueRule.COUNT.duration("MODPROXY_MAX_DOWNLOADS", "5s"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("MODPROXY_MAX_DOWNLOADS");
    }

    @Test
    void aNameThatIsNoSettingHasNoRule() {
        assertThat(SettingValueRule.of("QUARKUS_LOG_LEVEL")).isEmpty();
        assertThat(SettingValueRule.of("modproxy.prefetch")).isEmpty();
    }
}
