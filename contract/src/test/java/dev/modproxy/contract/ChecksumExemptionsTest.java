package dev.modproxy.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChecksumExemptionsTest {

    @Test
    void privatePatternsAreNeverLookedUpEvenWhenNoSumDbIsSet() {
        assertThat(ChecksumExemptions.patterns(List.of("git.corp.example.com/*"), List.of("corp.example.com/legacy")))
                .containsExactly("git.corp.example.com/*", "corp.example.com/legacy");
        assertThat(ChecksumExemptions.patterns("git.corp.example.com/*", "")).isEqualTo("git.corp.example.com/*");
    }

    @Test
    void eachPatternOnceAndBlanksDropped() {
        assertThat(ChecksumExemptions.patterns(" a.example/* ,,b.example", "b.example, c.example"))
                .isEqualTo("a.example/*,b.example,c.example");
        assertThat(ChecksumExemptions.patterns((String) null, null)).isEmpty();
        assertThat(ChecksumExemptions.patterns(null, List.of())).isEmpty();
    }
}
