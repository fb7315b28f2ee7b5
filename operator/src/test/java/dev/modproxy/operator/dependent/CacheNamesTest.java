package dev.modproxy.operator.dependent;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.settings.SpecProblems;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The names a cache's objects take, for the longest name the CRD lets a cache have. */
class CacheNamesTest {

    @Test
    void everyObjectOfTheLongestAllowedNameFitsADnsLabel() throws ReflectiveOperationException {
        GoProxyCache longest = cache("team-a", "c".repeat(SpecProblems.MAX_NAME_LENGTH), spec -> {});
        // every name CacheNames derives, found by reflection so that a new object's name is checked too
        List<Method> namers = Arrays.stream(CacheNames.class.getMethods())
                .filter(m -> Modifier.isStatic(m.getModifiers()))
                .filter(m -> m.getReturnType() == String.class)
                .filter(m -> Arrays.equals(m.getParameterTypes(), new Class<?>[] {GoProxyCache.class}))
                .filter(m -> !m.getName().toLowerCase().endsWith("url"))
                .toList();
        Map<String, String> names = new LinkedHashMap<>();
        for (Method namer : namers) {
            names.put(namer.getName(), (String) namer.invoke(null, longest));
        }
        assertThat(names).containsKeys("deployment", "service", "managementService", "configMap", "volumeClaim");
        assertThat(names)
                .allSatisfy((object, name) ->
                        assertThat(name).as(object).hasSizeLessThanOrEqualTo(63).matches(SpecProblems.NAME_PATTERN));
        // and the limit is tight: one character more and the longest of them would not fit
        assertThat(names.values().stream().mapToInt(String::length).max()).hasValue(63);
    }

    @Test
    void theOperatorsVersionIsWrittenAsALabelValue() {
        assertThat(CacheNames.asLabelValue("0.1.0-SNAPSHOT")).contains("0.1.0-SNAPSHOT");
        assertThat(CacheNames.asLabelValue("1.2.3+build.5")).contains("1.2.3_build.5");
        assertThat(CacheNames.asLabelValue("1." + "0".repeat(62))).isEmpty();
        assertThat(CacheNames.asLabelValue("")).isEmpty();
    }
}
