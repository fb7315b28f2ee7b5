package dev.modproxy.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CacheConditionTest {

    private static final String EMOJI = "\uD83D\uDE00";

    @Test
    void aMessageTheApiServerStoresIsKeptAsItIs() {
        String longest = "x".repeat(CacheCondition.MESSAGE_MAX_LENGTH);

        assertThat(CacheCondition.fitting(longest)).isSameAs(longest);
        assertThat(CacheCondition.fitting(null)).isNull();
        assertThat(new CacheCondition("Ready", "True", "Available", longest).getMessage())
                .isSameAs(longest);
    }

    /**
     * Four-byte characters everywhere, shifted by one and two characters at either end, so that each cut falls once
     * between the two halves of one: neither half is ever left alone.
     */
    @Test
    void aLongerMessageLosesItsMiddleAndNeverHalfOfAFourByteCharacter() {
        for (int before = 0; before < 2; before++) {
            for (int after = 0; after < 2; after++) {
                String message = "s".repeat(before) + EMOJI.repeat(20_000) + "e".repeat(after);

                String fitted = CacheCondition.fitting(message);

                assertThat(fitted)
                        .as("%d before, %d after", before, after)
                        .hasSizeLessThanOrEqualTo(CacheCondition.MESSAGE_MAX_LENGTH)
                        .hasSizeGreaterThan(CacheCondition.MESSAGE_MAX_LENGTH - 4)
                        .startsWith("s".repeat(before) + EMOJI)
                        .endsWith(EMOJI + "e".repeat(after))
                        .contains(" [... " + message.length() + " characters in all, the middle left out ...] ");
                assertThat(fitted.codePoints().filter(c -> Character.getType(c) == Character.SURROGATE))
                        .as("%d before, %d after: a half of a four-byte character", before, after)
                        .isEmpty();
            }
        }
    }
}
