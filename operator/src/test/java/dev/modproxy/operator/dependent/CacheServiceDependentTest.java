package dev.modproxy.operator.dependent;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a Service's ports become when someone changed them by hand (OperatorIT makes the edit on a real API server). */
class CacheServiceDependentTest {

    private static final Service DESIRED = service(port(80, null));

    @Test
    void theOperatorsOwnPortsAreLeftToServerSideApply() {
        assertThat(CacheServiceDependent.putBack(service(port(80, null)), DESIRED))
                .isEmpty();
        assertThat(CacheServiceDependent.putBack(service(port(80, 31080)), DESIRED))
                .isEmpty();
    }

    @Test
    void aPortChangedByHandIsReplacedByTheOperatorsPort() {
        assertThat(CacheServiceDependent.putBack(service(port(8080, null)), DESIRED))
                .hasValueSatisfying(ports -> assertThat(ports).singleElement().satisfies(p -> {
                    assertThat(p.getPort()).isEqualTo(80);
                    assertThat(p.getName()).isEqualTo("http");
                    assertThat(p.getTargetPort().getStrVal()).isEqualTo("http");
                }));
    }

    @Test
    void aPortAddedByHandGoesAndTheKeptPortKeepsItsNodePort() {
        assertThat(CacheServiceDependent.putBack(service(port(80, 31080), port(443, 31443)), DESIRED))
                .hasValueSatisfying(ports -> assertThat(ports)
                        .extracting(ServicePort::getPort, ServicePort::getNodePort)
                        .containsExactly(org.assertj.core.groups.Tuple.tuple(80, 31080)));
    }

    private static ServicePort port(int port, Integer nodePort) {
        return new ServicePortBuilder()
                .withName(port == 80 ? "http" : "extra-" + port)
                .withProtocol("TCP")
                .withPort(port)
                .withNodePort(nodePort)
                .withTargetPort(new IntOrString("http"))
                .build();
    }

    private static Service service(ServicePort... ports) {
        return new ServiceBuilder()
                .withNewMetadata()
                .withName("builds")
                .withNamespace("ci")
                .endMetadata()
                .withNewSpec()
                .withPorts(List.of(ports))
                .endSpec()
                .build();
    }
}
