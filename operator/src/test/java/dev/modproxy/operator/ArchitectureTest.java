package dev.modproxy.operator;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Set;

/**
 * The operator's layering: the API types know nothing of what uses them, status is computed without I/O or a
 * framework, the webhook decides in plain Java behind its adapters, only the proxy's admin client speaks HTTP to
 * it, and Quarkus/CDI stay in the classes that wire things up.
 */
@AnalyzeClasses(packages = "dev.modproxy.operator", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    private static final String[] FRAMEWORK = {
        "io.quarkus..",
        "io.quarkiverse..",
        "jakarta.enterprise..",
        "jakarta.inject..",
        "io.vertx..",
        "org.eclipse.microprofile.."
    };

    /**
     * The webhook's adapters: the informer-backed directory, the Secret-backed certificates, the HTTP server, its
     * readiness check.
     */
    private static final Set<String> WEBHOOK_ADAPTERS = Set.of(
            "KubernetesCacheDirectory",
            "WebhookBeans",
            "WebhookServer",
            "WebhookReadiness",
            "MutatePodsRoute",
            "OperatorManagedCertificates",
            "WebhookWarmup");

    @ArchTest
    static final ArchRule theApiKnowsNothingThatUsesIt = noClasses()
            .that()
            .resideInAPackage("..operator.api..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "..operator.reconciler..",
                    "..operator.dependent..",
                    "..operator.status..",
                    "..operator.figures..",
                    "..operator.warmup..",
                    "..operator.webhook..",
                    "..operator.admin..");

    @ArchTest
    static final ArchRule statusIsComputedWithoutIoOrFramework = noClasses()
            .that()
            .resideInAPackage("..operator.status..")
            .should()
            .dependOnClassesThat(resideInAnyPackage(FRAMEWORK)
                    .or(resideInAnyPackage(
                            "..operator.admin..",
                            "..operator.figures..",
                            "..operator.warmup..",
                            "..operator.reconciler..",
                            "java.net.http..")));

    @ArchTest
    static final ArchRule webhookDecisionsDoNotTalkToTheCluster = noClasses()
            .that()
            .resideInAPackage("..operator.webhook..")
            .and(notAnAdapter())
            .should()
            .dependOnClassesThat(
                    resideInAnyPackage("io.fabric8.kubernetes.client..").or(resideInAnyPackage(FRAMEWORK)));

    @ArchTest
    static final ArchRule onlyTheAdminClientSpeaksHttpToTheProxy = noClasses()
            .that()
            .resideOutsideOfPackage("..operator.admin..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("java.net.http..");

    @ArchTest
    static final ArchRule onlyAdaptersKnowQuarkus = classes()
            .that(dependOnFramework())
            .should()
            .resideInAnyPackage(
                    "..operator.admin..", "..operator.dependent..", "..operator.reconciler..", "..operator.warmup..")
            .orShould()
            .haveSimpleNameStartingWith("Webhook")
            .orShould()
            .haveNameMatching(".*\\.MutatePodsRoute(\\$.*)?"); // with the body it reads while a request arrives

    @ArchTest
    static final ArchRule theContractIsReadNotCopied = noClasses()
            .that()
            .resideInAPackage("dev.modproxy.operator..")
            .should()
            .haveSimpleName("CacheStats")
            .orShould()
            .haveSimpleName("WarmupAnswer")
            .orShould()
            .haveSimpleName("WarmupReport");

    private static DescribedPredicate<JavaClass> notAnAdapter() {
        return describe("are not adapters " + WEBHOOK_ADAPTERS, c -> !WEBHOOK_ADAPTERS.contains(topLevelName(c)));
    }

    /** KubernetesCacheDirectory for KubernetesCacheDirectory$1 too: its lambdas and inner classes are the adapter. */
    private static String topLevelName(JavaClass c) {
        return c.getName().substring(c.getPackageName().length() + 1).replaceAll("\\$.*", "");
    }

    private static DescribedPredicate<JavaClass> dependOnFramework() {
        return describe(
                "depend on Quarkus, CDI, Vert.x or MicroProfile",
                c -> c.getDirectDependenciesFromSelf().stream()
                        .anyMatch(d -> resideInAnyPackage(FRAMEWORK).test(d.getTargetClass())));
    }
}
