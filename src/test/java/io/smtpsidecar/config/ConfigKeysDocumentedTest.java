package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's key table is the key table: same keys in the same order, same defaults, scope and reload. */
class ConfigKeysDocumentedTest {

    @Test
    void theReadmeTableMatchesTheCode() throws Exception {
        List<String> readme = new ArrayList<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(Path.of("README.md"))) {
            if (line.startsWith("| key | default | per listener | reload | meaning |")) {
                inTable = true;
            } else if (inTable && !line.startsWith("|")) {
                break;
            } else if (inTable && !line.startsWith("|---")) {
                String[] cells = line.split(" \\| ");
                readme.add(cells[0].substring(2) + " | " + cells[1] + " | " + cells[2] + " | " + cells[3]);
            }
        }
        List<String> code = ConfigKeys.ALL.stream().map(k -> "`" + k.path() + "` | " + k.defaultText() + " | "
            + (k.perListener() ? "yes" : "no") + " | " + (k.restart() ? "restart" : "live")).toList();
        assertThat(readme).containsExactlyElementsOf(code);
    }

    @Test
    void everyDefaultIsValidForItsOwnParser() {
        for (ConfigKey<?> key : ConfigKeys.ALL) {
            Object printed = key.print(key.defaultValue());
            if (printed != null) {
                assertThat(key.parser().parse(printed instanceof List<?> l
                    ? new io.vertx.core.json.JsonArray(new ArrayList<>(l)) : printed)).as(key.path())
                    .isEqualTo(key.defaultValue());
            }
        }
    }
}
