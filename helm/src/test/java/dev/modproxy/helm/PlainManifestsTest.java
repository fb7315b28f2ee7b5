package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** deploy/modproxy.yaml is the chart rendered with its defaults; it must never drift from the chart. */
class PlainManifestsTest {

    static final String REFRESH_COMMAND =
            "deploy/render.sh   (or: ./mvnw -B -pl helm test -Dtest=PlainManifestsTest -Dmodproxy.deploy.refresh=true)";

    /** The only value that differs from the chart's defaults: plain manifests create their namespace. */
    static final Map<String, Object> DEPLOY_VALUES = Map.of("createNamespace", true);

    static String expected() {
        return "# Generated from helm/modproxy with its default values (namespace " + Chart.NAMESPACE + ").\n"
                + "# Do not edit: change the chart, then run deploy/render.sh.\n"
                + Chart.template(DEPLOY_VALUES);
    }

    static String firstDifference(String expected, String actual) {
        List<String> want = expected.lines().toList();
        List<String> have = actual.lines().toList();
        for (int i = 0; i < Math.max(want.size(), have.size()); i++) {
            String w = i < want.size() ? want.get(i) : "<end of file>";
            String h = i < have.size() ? have.get(i) : "<end of file>";
            if (!w.equals(h)) {
                return "line " + (i + 1) + ": chart renders '" + w + "', file has '" + h + "'";
            }
        }
        return "line endings differ";
    }

    @Test
    void deployManifestsMatchTheChart() throws IOException {
        Path file = Chart.repositoryRoot().resolve("deploy/modproxy.yaml");
        String expected = expected();
        if (Boolean.getBoolean("modproxy.deploy.refresh")) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, expected);
        }
        String actual = Files.exists(file) ? Files.readString(file) : "";
        if (!expected.equals(actual)) {
            fail("deploy/modproxy.yaml is out of date with helm/modproxy (" + firstDifference(expected, actual)
                    + "); refresh it with: " + REFRESH_COMMAND);
        }
    }
}
