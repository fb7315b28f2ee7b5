package dev.modproxy.operator.settings;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProxySettingsTest {

    @Test
    void defaultsRenderTheDocumentedEnvironment() {
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env())
                .containsEntry("MODPROXY_UPSTREAM", "https://proxy.golang.org")
                .containsEntry("MODPROXY_SUMDB", "sum.golang.org")
                .containsEntry("MODPROXY_STORAGE_DIR", "/var/cache/modproxy")
                .containsEntry("QUARKUS_HTTP_PORT", "8080")
                .doesNotContainKeys("MODPROXY_PRIVATE", "MODPROXY_NOSUMDB");
    }

    @Test
    void patternListsJoinWithCommasAsTheGoCommandReadsThem() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setPrivate(List.of("git.corp.example.com/*", "*.internal"));
        assertThat(ProxySettings.of(spec).env()).containsEntry("MODPROXY_PRIVATE", "git.corp.example.com/*,*.internal");
    }

    @Test
    void hashIsStableAndFollowsEverySetting() {
        GoProxyCacheSpec a = new GoProxyCacheSpec();
        GoProxyCacheSpec b = new GoProxyCacheSpec();
        assertThat(ProxySettings.of(a).hash()).isEqualTo(ProxySettings.of(b).hash()).hasSize(16);
        b.setSumdb("off");
        assertThat(ProxySettings.of(a).hash()).isNotEqualTo(ProxySettings.of(b).hash());
    }
}
