package dev.modproxy.proxy.sumdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.modproxy.proxy.cache.ArtifactRejectedException;
import dev.modproxy.proxy.cache.StagedAnswer;
import dev.modproxy.proxy.protocol.ProxyRequest;
import dev.modproxy.proxy.storage.LocalDiskStorage;
import dev.modproxy.proxy.storage.StorageKey;
import dev.modproxy.proxy.storage.StorageWriter;
import dev.modproxy.proxy.testing.CapturedLog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A database that signed two histories (a fork, a split view) is misbehaving, not unreachable: the go command stops
 * with "SECURITY ERROR go.sum database server misbehavior detected!" and both notes, and so the proxy says it, once,
 * with both notes, and counts what it refuses for it apart from an outage.
 */
class SumDbForkTest {

    private static final String NAME = "sum.example.test";

    @TempDir
    Path dir;

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void aForkIsOneSecurityLineWithBothNotesAndARejectionOfItsOwn() throws Exception {
        // one key, two logs: records 1, 2, 3 shown before the restart, then 1, 20, 3, 4
        Path keyFile = dir.resolve("key");
        GoSumDbServer honest =
                started(GoSumDbServer.Options.named(NAME).withKeyFile(keyFile).withRecords(records("honest", 1, 2, 3)));
        GoSumDbServer forked = started(
                GoSumDbServer.Options.named(NAME).withKeyFile(keyFile).withRecords(records("forked", 1, 20, 3, 4)));
        byte[] verifiedBefore =
                new HttpSumDbFetcher(honest.url(), HttpClient.newHttpClient(), Duration.ofSeconds(10)).fetch("latest");
        LocalDiskStorage storage = new LocalDiskStorage(dir.resolve("cache"));
        try (StorageWriter writer = storage.openWriter(new StorageKey("sumdb/" + NAME + "/verified-tree"))) {
            writer.output().write(verifiedBefore); // as the proxy kept it before a restart
            writer.commit().release();
        }
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        SumDbArtifactVerifier verifier =
                new SumDbArtifactVerifier(VerifiedTreeWriterTest.database(forked, storage), registry, false);
        Path goMod = Files.writeString(dir.resolve("go.mod"), "module example.com/filler4\n");

        try (CapturedLog proofs = CapturedLog.of(SumDbVerifier.class, Level.WARNING);
                CapturedLog refusals = CapturedLog.of(SumDbArtifactVerifier.class, Level.WARNING)) {
            ArtifactRejectedException refused = assertThrows(
                    ArtifactRejectedException.class,
                    () -> verifier.verify(
                            ProxyRequest.parse("/example.com/filler4/@v/v1.0.4.mod"), new StagedAnswer(goMod, false)));
            assertTrue(refused.getMessage().contains("checksum database is inconsistent"), refused.getMessage());

            List<String> security = Stream.concat(proofs.warnings().stream(), refusals.warnings().stream())
                    .filter(line -> line.startsWith("SECURITY:"))
                    .toList();
            assertEquals(1, security.size(), "one SECURITY line: " + proofs.warnings() + refusals.warnings());
            String line = security.get(0);
            assertTrue(line.contains("misbehavior detected"), line);
            assertTrue(line.contains(oneLine(verifiedBefore)), "the note verified before: " + line);
            assertTrue(line.contains("go.sum database tree\\n4\\n"), "the note of the forked tree of 4: " + line);
            assertTrue(!line.contains("\n"), "one line: " + line);
        }
        assertEquals(1.0, rejections(registry, "fork"));
        assertEquals(0.0, rejections(registry, "unverifiable"), "a fork is no outage");
    }

    private static double rejections(SimpleMeterRegistry registry, String reason) {
        return registry.get("modproxy.sumdb.rejections")
                .tag("reason", reason)
                .counter()
                .count();
    }

    private static String oneLine(byte[] note) {
        return new String(note, StandardCharsets.UTF_8).replace("\n", "\\n");
    }

    private GoSumDbServer started(GoSumDbServer.Options options) throws Exception {
        GoSumDbServer server = GoSumDbServer.start(options);
        closing.add(server);
        return server;
    }

    private Path records(String name, int... numbers) throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i : numbers) {
            lines.add("example.com/filler" + i + " v1.0." + i + " " + fakeHash("zip" + i) + " " + fakeHash("mod" + i));
        }
        return Files.write(dir.resolve(name + ".txt"), lines);
    }

    private static String fakeHash(String seed) throws Exception {
        byte[] sha = MessageDigest.getInstance("SHA-256").digest(seed.getBytes(StandardCharsets.UTF_8));
        return "h1:" + Base64.getEncoder().encodeToString(sha);
    }
}
