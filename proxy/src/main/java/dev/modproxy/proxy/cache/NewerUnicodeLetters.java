package dev.modproxy.proxy.cache;

import java.util.Arrays;

/**
 * The letters of Unicode 14.0 and 15.0, which the go command (Go 1.21 and later: Unicode 15.0) takes in a module zip's
 * file names as it takes every letter, and which Java 17's {@link Character} (Unicode 13.0) does not know: each was
 * unassigned in Unicode 13.0 (from Go's unicode.IsLetter, less every code point Java 17 calls a letter). On a newer
 * Java, {@link Character#isLetter(int)} knows them itself; and from JDK 22 it knows letters of Unicode 15.1 and 16.0
 * too, which the go command does not ({@link #afterTheGoCommands(int)}).
 */
final class NewerUnicodeLetters {

    /** First and last code point of each range, in order. */
    private static final int[] RANGES = {
        0x0870, 0x0887,
        0x0889, 0x088E,
        0x08B5, 0x08B5,
        0x08C8, 0x08C9,
        0x0C5D, 0x0C5D,
        0x0CDD, 0x0CDD,
        0x170D, 0x170D,
        0x171F, 0x171F,
        0x1B4C, 0x1B4C,
        0x2C2F, 0x2C2F,
        0x2C5F, 0x2C5F,
        0x9FFD, 0x9FFF,
        0xA7C0, 0xA7C1,
        0xA7D0, 0xA7D1,
        0xA7D3, 0xA7D3,
        0xA7D5, 0xA7D9,
        0xA7F2, 0xA7F4,
        0x10570, 0x1057A,
        0x1057C, 0x1058A,
        0x1058C, 0x10592,
        0x10594, 0x10595,
        0x10597, 0x105A1,
        0x105A3, 0x105B1,
        0x105B3, 0x105B9,
        0x105BB, 0x105BC,
        0x10780, 0x10785,
        0x10787, 0x107B0,
        0x107B2, 0x107BA,
        0x10F70, 0x10F81,
        0x11071, 0x11072,
        0x11075, 0x11075,
        0x1123F, 0x11240,
        0x11740, 0x11746,
        0x11AB0, 0x11ABF,
        0x11F02, 0x11F02,
        0x11F04, 0x11F10,
        0x11F12, 0x11F33,
        0x12F90, 0x12FF0,
        0x1342F, 0x1342F,
        0x13441, 0x13446,
        0x16A70, 0x16ABE,
        0x1AFF0, 0x1AFF3,
        0x1AFF5, 0x1AFFB,
        0x1AFFD, 0x1AFFE,
        0x1B11F, 0x1B122,
        0x1B132, 0x1B132,
        0x1B155, 0x1B155,
        0x1DF00, 0x1DF1E,
        0x1DF25, 0x1DF2A,
        0x1E030, 0x1E06D,
        0x1E290, 0x1E2AD,
        0x1E4D0, 0x1E4EB,
        0x1E7E0, 0x1E7E6,
        0x1E7E8, 0x1E7EB,
        0x1E7ED, 0x1E7EE,
        0x1E7F0, 0x1E7FE,
        0x2A6DE, 0x2A6DF,
        0x2B735, 0x2B739,
        0x31350, 0x323AF,
    };

    /**
     * Case pairs among those letters, as the go command folds them (unicode.SimpleFold): each letter that is not the
     * least of its pair, then that least one, ordered by the first. Every pair is two new letters, so Java 17, which
     * leaves them unchanged, folds neither to anything else.
     */
    private static final int[] FOLDS = {
        0x2C5F, 0x2C2F,
        0xA7C1, 0xA7C0,
        0xA7D1, 0xA7D0,
        0xA7D7, 0xA7D6,
        0xA7D9, 0xA7D8,
        0x10597, 0x10570,
        0x10598, 0x10571,
        0x10599, 0x10572,
        0x1059A, 0x10573,
        0x1059B, 0x10574,
        0x1059C, 0x10575,
        0x1059D, 0x10576,
        0x1059E, 0x10577,
        0x1059F, 0x10578,
        0x105A0, 0x10579,
        0x105A1, 0x1057A,
        0x105A3, 0x1057C,
        0x105A4, 0x1057D,
        0x105A5, 0x1057E,
        0x105A6, 0x1057F,
        0x105A7, 0x10580,
        0x105A8, 0x10581,
        0x105A9, 0x10582,
        0x105AA, 0x10583,
        0x105AB, 0x10584,
        0x105AC, 0x10585,
        0x105AD, 0x10586,
        0x105AE, 0x10587,
        0x105AF, 0x10588,
        0x105B0, 0x10589,
        0x105B1, 0x1058A,
        0x105B3, 0x1058C,
        0x105B4, 0x1058D,
        0x105B5, 0x1058E,
        0x105B6, 0x1058F,
        0x105B7, 0x10590,
        0x105B8, 0x10591,
        0x105B9, 0x10592,
        0x105BB, 0x10594,
        0x105BC, 0x10595,
    };

    /**
     * First and last code point of each range of the letters Unicode 15.1 and 16.0 added, which the go command's
     * Unicode (15.0) does not know and so refuses in a file name, while a JDK 22 or later (Unicode 15.1; JDK 25:
     * 16.0) calls them letters. Generated once: every code point JDK 25's {@link Character#isLetter(int)} takes (run
     * with /usr/lib/jvm/temurin-25-jdk-amd64) and Go 1.26's unicode.IsLetter (unicode.Version 15.0.0) does not; none
     * goes the other way there. A JDK whose Unicode is newer than 16.0 needs this table regenerated the same way.
     */
    private static final int[] AFTER_THE_GO_COMMANDS = {
        0x1C89, 0x1C8A,
        0xA7CB, 0xA7CD,
        0xA7DA, 0xA7DC,
        0x105C0, 0x105F3,
        0x10D4A, 0x10D65,
        0x10D6F, 0x10D85,
        0x10EC2, 0x10EC4,
        0x11380, 0x11389,
        0x1138B, 0x1138B,
        0x1138E, 0x1138E,
        0x11390, 0x113B5,
        0x113B7, 0x113B7,
        0x113D1, 0x113D1,
        0x113D3, 0x113D3,
        0x11BC0, 0x11BE0,
        0x13460, 0x143FA,
        0x16100, 0x1611D,
        0x16D40, 0x16D6C,
        0x18CFF, 0x18CFF,
        0x1E5D0, 0x1E5ED,
        0x1E5F0, 0x1E5F0,
        0x2EBF0, 0x2EE5D,
    };

    private NewerUnicodeLetters() {}

    /**
     * Whether the code point is a letter Unicode assigned after the go command's 15.0 (in 15.1 or 16.0), which a
     * newer JVM's {@link Character#isLetter(int)} takes and the go command does not.
     */
    static boolean afterTheGoCommands(int codePoint) {
        return inRanges(AFTER_THE_GO_COMMANDS, codePoint);
    }

    /** Whether the code point is a letter of Unicode 14.0 or 15.0 that Unicode 13.0 did not assign. */
    static boolean contains(int codePoint) {
        return inRanges(RANGES, codePoint);
    }

    private static boolean inRanges(int[] ranges, int codePoint) {
        int at = Arrays.binarySearch(ranges, codePoint);
        // found: a range's first or last code point; else inside a range when the insertion point is odd (after a
        // range's first, before its last)
        return at >= 0 || (-at - 1) % 2 == 1;
    }

    /** The least letter of its case pair for one of those letters, as the go command folds it; else the code point. */
    static int fold(int codePoint) {
        for (int i = 0; i < FOLDS.length; i += 2) {
            if (FOLDS[i] == codePoint) {
                return FOLDS[i + 1];
            }
        }
        return codePoint;
    }
}
