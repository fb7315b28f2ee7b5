package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

class ChartLintTest {

    @Test
    void chartPassesStrictLint() {
        LintResult result = new Helm(Chart.directory()).lint().strict().call();
        System.out.println(String.join("\n", result.getMessages()));
        assertFalse(result.isFailed(), () -> String.join("\n", result.getMessages()));
    }
}
