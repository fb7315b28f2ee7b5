package dev.modproxy.proxy.architecture;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackages;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import dev.modproxy.proxy.assembly.ProxyAssembly;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The proxy's layering (docs/architecture.md): the protocol, storage, upstream, checksum, resilience and text packages
 * are leaves, but for the circuit breaker's states (resilience) that storage and upstream share, and the text bounded
 * in UTF-8 bytes (text) that any of them may cut what it says with; only the Quarkus adapter ({@code config}) knows Quarkus, CDI and MicroProfile; only the
 * route layer knows the HTTP server's routing API; no package cycles.
 */
class LayeringTest {

    private static final String PROXY = "dev.modproxy.proxy";
    private static JavaClasses main;

    @BeforeAll
    static void importMainClasses() throws URISyntaxException {
        // the compiled main classes alone: scanning the whole class path for the package takes far longer
        Path classes = Path.of(ProxyAssembly.class
                .getProtectionDomain()
                .getCodeSource()
                .getLocation()
                .toURI());
        main = new ClassFileImporter().importPath(classes);
    }

    private static String pkg(String name) {
        return PROXY + "." + name + "..";
    }

    @Test
    void protocolStorageUpstreamChecksumResilienceAndTextAreLeaves() {
        for (String leaf : new String[] {"protocol", "storage", "upstream", "checksum", "resilience", "text"}) {
            // storage and upstream each have a circuit breaker, built on the one state machine. Any part may cut
            // text in whole UTF-8 characters with text, leaves too: a refusal is bounded in upstream (the upstream's
            // reason) and again in protocol (the whole answer), which must not depend on each other
            String[] mayUse = leaf.equals("storage") || leaf.equals("upstream")
                    ? new String[] {pkg(leaf), pkg("resilience"), pkg("text")}
                    : new String[] {pkg(leaf), pkg("text")};
            noClasses()
                    .that()
                    .resideInAPackage(pkg(leaf))
                    .should()
                    .dependOnClassesThat(resideInAPackage(PROXY + "..").and(resideOutsideOfPackages(mayUse)))
                    .because(leaf + " is a building block: it knows none of the proxy's other parts")
                    .check(main);
        }
    }

    @Test
    void onlyTheQuarkusAdapterKnowsQuarkusCdiAndMicroProfile() {
        noClasses()
                .that()
                .resideOutsideOfPackage(pkg("config"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.quarkus..",
                        "jakarta.inject..",
                        "jakarta.enterprise..",
                        "org.eclipse.microprofile..",
                        "io.smallrye.config..")
                .because("the proxy is plain Java built by assembly.ProxyAssembly; config adapts it to Quarkus")
                .check(main);
    }

    @Test
    void nothingButQuarkusReachesTheAdapterAndOnlyTheAdapterReachesTheAssembly() {
        noClasses()
                .that()
                .resideOutsideOfPackage(pkg("config"))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(pkg("config"))
                .because("settings reach the parts as plain values (ProxySettings), never as ProxyConfig")
                .check(main);
        noClasses()
                .that()
                .resideOutsideOfPackages(pkg("config"), pkg("assembly"))
                .should()
                .dependOnClassesThat()
                .resideInAPackage(pkg("assembly"))
                .because("parts are handed what they need; none of them looks the assembly up")
                .check(main);
    }

    @Test
    void checksumDatabaseCodeDoesNotReadConfiguration() {
        noClasses()
                .that()
                .resideInAPackage(pkg("sumdb"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(pkg("config"), pkg("assembly"), pkg("http"))
                .check(main);
    }

    @Test
    void onlyTheRouteLayerKnowsTheHttpServersRouting() {
        noClasses()
                .that()
                .resideOutsideOfPackages(pkg("http"), pkg("warmup"), pkg("config"))
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.vertx.ext.web..", "io.vertx.core.http..")
                .because("routes are registered in http.RouteTable; the cache answers requests, not HTTP exchanges")
                .check(main);
    }

    @Test
    void packagesDoNotDependOnEachOtherInCycles() {
        slices().matching(PROXY + ".(*)..").should().beFreeOfCycles().check(main);
    }
}
