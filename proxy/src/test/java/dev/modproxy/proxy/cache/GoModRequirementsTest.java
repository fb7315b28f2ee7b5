package dev.modproxy.proxy.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the prefetcher reads from a dependency's go.mod: its requirements, and whether the go command prunes them. */
class GoModRequirementsTest {

    private static GoModRequirements read(String goMod) {
        return GoModRequirements.read(goMod.getBytes(StandardCharsets.UTF_8)).orElseThrow();
    }

    @Test
    void requirementsComeFromSingleLinesAndBlocksWithQuotesAndComments() {
        GoModRequirements r = read("""
                module example.com/a

                go 1.21.0

                require example.com/b v1.0.0 // indirect
                require (
                \t"example.com/c" v1.2.3
                \texample.com/D v0.0.0-20240101000000-abcdefabcdef // indirect
                )
                replace example.com/b => ../b
                """);
        assertEquals(
                List.of(
                        new GoModRequirements.Requirement("example.com/b", "v1.0.0"),
                        new GoModRequirements.Requirement("example.com/c", "v1.2.3"),
                        new GoModRequirements.Requirement("example.com/D", "v0.0.0-20240101000000-abcdefabcdef")),
                r.requires());
    }

    @Test
    void go117AndLaterArePrunedOlderOrNoGoLineAreNot() {
        assertTrue(read("module m\ngo 1.17\n").pruned());
        assertTrue(read("module m\ngo 1.21rc1\n").pruned());
        assertTrue(read("module m\ngo 1.26.0\n").pruned());
        assertFalse(read("module m\ngo 1.16\n").pruned());
        assertFalse(read("module m\ngo 1.9\n").pruned());
        assertFalse(read("module m\n").pruned(), "no go line reads as go 1.16");
    }

    @Test
    void textTheGoCommandCannotReadGivesNothing() {
        assertTrue(GoModRequirements.read("module m\nrequire example.com/x latest\n".getBytes(StandardCharsets.UTF_8))
                .isEmpty());
        assertTrue(
                GoModRequirements.read("module m\nrequire (\nexample.com/x v1.0.0\n".getBytes(StandardCharsets.UTF_8))
                        .isEmpty(),
                "an unterminated block");
    }
}
