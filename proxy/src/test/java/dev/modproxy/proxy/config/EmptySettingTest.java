package dev.modproxy.proxy.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.modproxy.proxy.assembly.ProxySettings;
import java.lang.reflect.RecordComponent;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A MODPROXY_* variable set to the empty string (a Kubernetes env entry with value "", a template that rendered
 * nothing) means the variable is not set: its default applies. The configuration library stopped the proxy at the
 * empty value of every setting with a default (MODPROXY_MUTABLE_TTL=, MODPROXY_UPSTREAM=) with its own SRCFG00040
 * message instead of the one line every other bad value gets.
 */
class EmptySettingTest {

    static Stream<String> everySetting() {
        return SettingNames.known().stream();
    }

    @ParameterizedTest(name = "{0}=")
    @MethodSource("everySetting")
    void anEmptyValueMeansTheDefault(String variable) throws ReflectiveOperationException {
        ProxySettings unset = ProxyBeans.settings(Configs.ofEnvironment(Map.of()));
        ProxySettings empty = ProxyBeans.settings(Configs.ofEnvironment(Map.of(variable, "")));

        for (RecordComponent setting : ProxySettings.class.getRecordComponents()) {
            if (setting.getName().equals("egress")) {
                continue; // read from HTTPS_PROXY and the like, not from a MODPROXY_* variable; no equals of its own
            }
            assertEquals(
                    setting.getAccessor().invoke(unset),
                    setting.getAccessor().invoke(empty),
                    variable + "= changed " + setting.getName());
        }
    }
}
