package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** What a platform team's review looks for at the top of the repository before installing anything. */
class ProjectFilesTest {

    private static String read(String file) throws IOException {
        Path path = Chart.repositoryRoot().resolve(file);
        assertTrue(Files.isRegularFile(path), file + " is missing");
        return Files.readString(path);
    }

    @Test
    void licenseIsTheFullApacheLicense() throws IOException {
        String license = read("LICENSE");
        assertTrue(
                license.contains("Apache License") && license.contains("Version 2.0, January 2004"), "not Apache-2.0");
        assertTrue(license.contains("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"));
        assertTrue(license.contains("END OF TERMS AND CONDITIONS"), "the license text is cut short");
        // all nine sections, written out rather than linked
        for (int section = 1; section <= 9; section++) {
            assertTrue(
                    Pattern.compile("(?m)^\\s+" + section + "\\. \\w")
                            .matcher(license)
                            .find(),
                    "section " + section);
        }
        assertTrue(read("pom.xml").contains("<name>Apache-2.0</name>"), "the parent pom declares the license");
    }

    @Test
    void securityPolicySaysHowToReportAndWhatIsSupported() throws IOException {
        String security = read("SECURITY.md");
        assertTrue(security.contains("## Reporting a vulnerability"));
        assertTrue(security.contains("## Supported versions"));
        assertTrue(security.contains("do not open a public issue"));
    }

    @Test
    void changelogKeepsAnUnreleasedSection() throws IOException {
        String changelog = read("CHANGELOG.md");
        assertTrue(changelog.contains("keepachangelog.com"));
        assertEquals(
                1,
                Pattern.compile("(?m)^## \\[Unreleased\\]$")
                        .matcher(changelog)
                        .results()
                        .count());
        assertTrue(changelog.contains("### Added"));
    }
}
