package io.smtpsidecar.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The configuration file's YAML: what becomes the JSON tree, and one clear line for each file that cannot. */
class YamlConfigFileTest {

    @Test
    void sectionsBecomeAJsonTree() {
        JsonObject json = YamlConfigFile.parse("""
            # the load balancers
            proxy:
              requiredHosts: ["10.0.0.1", "10.0.0.2"]
              headerTimeout: 3s
            backend: {port: 25, host: 127.0.0.1}
            dns:
              reverseLookup: false
            """);
        assertThat(json).isEqualTo(new JsonObject()
            .put("proxy", new JsonObject().put("requiredHosts", new JsonArray().add("10.0.0.1").add("10.0.0.2"))
                .put("headerTimeout", "3s"))
            .put("backend", new JsonObject().put("port", 25).put("host", "127.0.0.1"))
            .put("dns", new JsonObject().put("reverseLookup", false)));
    }

    @Test
    void anAliasMayBeUsedTwice() {
        JsonObject json = YamlConfigFile.parse("""
            proxy:
              requiredHosts: &lb ["10.0.0.1"]
              rejectSources: *lb
            """);
        assertThat(json.getJsonObject("proxy").getJsonArray("rejectSources")).containsExactly("10.0.0.1");
    }

    @Test
    void yamlTimestampsAndOddKeysStayJson() {
        JsonObject json = YamlConfigFile.parse("smtp: {banner: 2026-11-24}\n1: x\n");
        assertThat(json.copy().getJsonObject("smtp").getValue("banner").toString()).isEqualTo("2026-11-24T00:00:00Z");
        assertThat(json.fieldNames()).contains("1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|the file is empty",
        "'\n  \n'|the file is empty",
        "'# proxy:\n#   requiredHosts: 10.0.0.1\n'|the file holds no settings (only comments)",
        "'{}\n'|the file holds no settings (an empty mapping)",
        "'- proxy\n- backend\n'|the top level must be a mapping of sections, found a list",
        "'proxy\n'|the top level must be a mapping of sections, found the single value 'proxy'",
        "'~\n'|the top level must be a mapping of sections, found an empty value",
    })
    void aFileWithoutSettingsIsRefused(String text, String message) {
        assertThatThrownBy(() -> YamlConfigFile.parse(text))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage(message);
    }

    @Test
    void aSectionGivenTwiceIsRefusedNamingTheKeyAndBothLines() {
        assertThatThrownBy(() -> YamlConfigFile.parse("""
            proxy:
              requiredHosts: "10.0.0.1"
            backend:
              port: 25
            proxy:
              headerTimeout: 3s
            """))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("duplicate key proxy on line 5 (first on line 1)");
    }

    @Test
    void aKeyGivenTwiceInASectionIsRefused() {
        assertThatThrownBy(() -> YamlConfigFile.parse("""
            proxy:
              requiredHosts: "10.0.0.1"
              headerTimeout: 3s
              requiredHosts: "10.0.0.2"
            """))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("duplicate key proxy.requiredHosts on line 4 (first on line 2)");
    }

    @Test
    void aKeyGivenTwiceInAFlowMappingOrInAListItemIsRefused() {
        assertThatThrownBy(() -> YamlConfigFile.parse("backend: {port: 25, port: 26}\n"))
            .hasMessage("duplicate key backend.port on line 1 (first on line 1)");
        assertThatThrownBy(() -> YamlConfigFile.parse("""
            dns:
              servers:
                - {host: 10.0.0.53, host: 10.0.0.54}
            """))
            .hasMessage("duplicate key dns.servers[0].host on line 3 (first on line 3)");
    }

    @Test
    void keysEqualInValueButNotInTextAreRefusedToo() {
        assertThatThrownBy(() -> YamlConfigFile.parse("proxy: {1: a, 0x1: b}\n"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessageStartingWith("line 1, column 15: found duplicate key 1");
    }

    @Test
    void syntaxErrorsAreOneLineWithTheirPlace() {
        assertThatThrownBy(() -> YamlConfigFile.parse("proxy:\n  requiredHosts: [10.0.0.1\n"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("line 3, column 1: expected ',' or ']', but got <stream end>"
                + " (while parsing a flow sequence from line 2)");
    }

    @Test
    void anAliasInsideItselfIsRefused() {
        assertThatThrownBy(() -> YamlConfigFile.parse("dns:\n  servers: &s [10.0.0.53, *s]\n"))
            .isInstanceOf(ConfigFileException.class)
            .hasMessage("dns.servers[1] on line 2 contains itself (a recursive alias)");
    }
}
