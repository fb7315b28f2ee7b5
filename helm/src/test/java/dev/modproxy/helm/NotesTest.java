package dev.modproxy.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What `helm install` prints: the next steps, with this release's names filled in. */
class NotesTest {

    static String notes(Map<String, Object> values) {
        InstallCommand install = new Helm(Chart.renderable())
                .install()
                .withName(Chart.RELEASE)
                .withNamespace(Chart.NAMESPACE)
                .dryRun()
                .clientOnly();
        values.forEach(install::set);
        String output = install.call().getOutput();
        int start = output.indexOf("NOTES:");
        assertTrue(start >= 0, "no NOTES in:\n" + output);
        return output.substring(start);
    }

    @Test
    void notesTellTheUserToCreateACacheAndLabelPods() {
        String notes = notes(Map.of());
        assertTrue(notes.contains("kubectl -n modproxy-system rollout status deployment/modproxy-operator"), notes);
        assertTrue(notes.contains("kind: GoProxyCache"), notes);
        assertTrue(notes.contains("modproxy.dev/inject: \"true\""), notes);
        assertTrue(notes.contains("kubectl label namespace ci modproxy.dev/inject=enabled"), notes);
        assertTrue(notes.contains("Secret modproxy-webhook-tls"), notes);
    }

    @Test
    void notesNameTheWatchedNamespacesAndCertManager() {
        String notes = notes(Chart.values(
                "watchNamespaces[0]", "ci", "watchNamespaces[1]", "builds", "webhook.certMode", "cert-manager"));
        assertTrue(notes.contains("(one of: ci, builds)"), notes);
        assertTrue(notes.contains("cert-manager must be installed"), notes);
    }

    /**
     * With watchNamespaces set, the commands use a namespace the operator watches: they used ci whatever the values,
     * and a cache made there by copying them was never reconciled. The release's own namespace, which the webhook
     * never sees, is passed over.
     */
    @Test
    void notesCommandsUseANamespaceTheOperatorWatches() {
        String notes = notes(Chart.values(
                "watchNamespaces[0]", Chart.NAMESPACE, "watchNamespaces[1]", "team-a", "watchNamespaces[2]", "team-b"));
        assertTrue(notes.contains("kubectl create namespace team-a\n"), notes);
        assertTrue(notes.contains("kubectl apply -n team-a -f -"), notes);
        assertTrue(notes.contains("kubectl -n team-a get gpc"), notes);
        assertTrue(notes.contains("modproxy.dev/cache: team-a/default"), notes);
        assertTrue(notes.contains("kubectl label namespace team-a modproxy.dev/inject=enabled"), notes);
        assertTrue(notes.contains("kubectl -n team-a run gocheck"), notes);
        assertFalse(notes.contains(" ci"), notes);
        assertFalse(notes.contains("WARNING"), notes);
    }

    /**
     * Watching only the release's namespace, whose pods the webhook never sees, injects into no build pod: the notes
     * say so and use that namespace, the only one where a cache is reconciled, not ci.
     */
    @Test
    void notesWarnWhenOnlyTheReleaseNamespaceIsWatched() {
        String notes = notes(Chart.values("watchNamespaces[0]", Chart.NAMESPACE));
        assertTrue(notes.contains("WARNING: watchNamespaces names only " + Chart.NAMESPACE), notes);
        assertTrue(notes.contains("kubectl apply -n " + Chart.NAMESPACE + " -f -"), notes);
        assertFalse(notes.contains(" ci"), notes);
    }
}
