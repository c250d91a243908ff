package io.throughline.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** config/throughline.yaml is the documentation of every option: it must name each one, its default and env. */
class DocumentedOptionsTest {

    private static final Path YAML = Path.of("..", "config", "throughline.yaml");

    @Test
    void theShippedYamlDocumentsEveryOptionWithItsDefaultAndEnvironmentVariable() throws IOException {
        String text = Files.readString(YAML);
        JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(text);
        for (Option option : Options.all()) {
            JsonNode node = root;
            for (String part : option.key().split("\\.")) {
                node = node.path(part);
            }
            assertThat(node.isMissingNode()).as("%s is in config/throughline.yaml", option.key()).isFalse();
            assertThat(node.asText()).as("default of %s", option.key()).isEqualTo(option.defaultValue());
            assertThat(text).as("%s names %s", YAML, option.envName()).contains(option.envName());
        }
    }

    @Test
    void theShippedYamlLoadsAsIs() {
        ThroughlineConfig config = ConfigLoader.load(YAML, Map.of());
        assertThat(config.http().port()).isEqualTo(8080);
        assertThat(config.inboxes()).isEmpty();
    }

    @Test
    void everyExampleLoads() throws IOException {
        try (var files = Files.list(Path.of("..", "config", "examples"))) {
            for (Path example : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                assertThat(ConfigLoader.load(example, Map.of())).as("%s loads", example).isNotNull();
            }
        }
    }
}
