package dev.modproxy.contract.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The hand-written field names (for writers without a JSON binder) are the records' own, and the files use them. */
class AdminShapesTest {

    @ParameterizedTest
    @ValueSource(
            classes = {
                CacheStats.class,
                CacheStats.LastWarmup.class,
                CacheStats.UpstreamHealth.class,
                WarmupReport.class,
                WarmupReport.Failure.class
            })
    void fieldNameConstantsAreExactlyTheComponents(Class<?> shape) throws IllegalAccessException {
        List<String> components = Arrays.stream(shape.getRecordComponents())
                .map(RecordComponent::getName)
                .toList();
        List<String> constants = new java.util.ArrayList<>();
        for (Field field : shape.getDeclaredFields()) {
            if (Modifier.isStatic(field.getModifiers())
                    && field.getType() == String.class
                    && components.contains((String) field.get(null))) {
                constants.add((String) field.get(null));
            }
        }
        assertThat(constants).containsExactlyInAnyOrderElementsOf(components);
    }

    @ParameterizedTest
    @EnumSource(AdminExamples.class)
    void everyExampleFileNamesTheFieldsOfItsRecord(AdminExamples example) {
        String json = example.json();
        List<String> keys = keysIn(json);
        Record value = example.value();
        List<String> expected = Arrays.stream(value.getClass().getRecordComponents())
                .map(RecordComponent::getName)
                .filter(name -> example != AdminExamples.WARMUP_IDLE || name.equals(WarmupReport.STATE))
                .toList();
        assertThat(keys).containsAll(expected);
    }

    /** Every "name": in the text; a JSON reader is what this module does without. */
    private static List<String> keysIn(String json) {
        return java.util.regex.Pattern.compile("\"([A-Za-z]+)\"\\s*:")
                .matcher(json)
                .results()
                .map(m -> m.group(1))
                .distinct()
                .collect(Collectors.toList());
    }
}
