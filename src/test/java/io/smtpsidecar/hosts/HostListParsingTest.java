package io.smtpsidecar.hosts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class HostListParsingTest {

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @CsvSource(delimiter = '|', value = {
        "10.0.0.0/8 : 192.0.2.7                 | 10.0.0.0/8 : 192.0.2.7",
        "10.0.0.0/8:192.0.2.7                   | 10.0.0.0/8 : 192.0.2.7",
        "'  10.0.0.0/8 :   192.0.2.7  '         | 10.0.0.0/8 : 192.0.2.7",
        "127.0.0.1 : ::::1                      | <; 127.0.0.1 ; ::1",
        "2001::db8::::/32                       | <; 2001:db8::/32",
        "<; 2001:db8::/32 ; 10.1.2.3            | <; 2001:db8::/32 ; 10.1.2.3",
        "<;2001:db8::/32;10.1.2.3               | <; 2001:db8::/32 ; 10.1.2.3",
        "'<, 10.0.0.1, 10.0.0.2'                | 10.0.0.1 : 10.0.0.2",
        "'<| ::1 | !fe80::/10 | *'              | <; ::1 ; !fe80::/10 ; *",
        "'10.0.0.1 : : 10.0.0.2 :'              | 10.0.0.1 : 10.0.0.2",
        "': 10.0.0.1'                           | 10.0.0.1",
        "<; ::1 ; ; 10.0.0.1                    | <; ::1 ; 10.0.0.1",
        "'!10.0.0.1 : ! 10.0.0.0/8 : *'         | !10.0.0.1 : !10.0.0.0/8 : *",
        "'! *'                                  | !*",
        "10.1.2.3/8                             | 10.0.0.0/8",
        "192.0.2.7/32                           | 192.0.2.7",
        "0.0.0.0/0                              | 0.0.0.0/0",
        "<; 2001:DB8:0:0:0:0:0:1/128            | <; 2001:db8::1",
        "<; 2001:db8::ffff/33                   | <; 2001:db8::/33",
        "<; ::ffff:10.0.0.0/104                 | 10.0.0.0/8",
        "<; ::ffff:192.0.2.7                    | 192.0.2.7",
        "<; ::ffff:0:0/96                       | 0.0.0.0/0",
        "<; ::ffff:0:0/95                       | <; ::fffe:0:0/95",
        "<; ::/0                                | <; ::/0",
        "10.0.0.0/008                           | 10.0.0.0/8",
    })
    void parsesToCanonicalForm(String list, String canonical) {
        HostList parsed = HostList.parse(list);
        assertThat(parsed).hasToString(canonical);
        assertThat(HostList.parse(parsed.toString())).as("round trip").isEqualTo(parsed);
    }

    @ParameterizedTest(name = "[{index}] \"{0}\"")
    @ValueSource(strings = {"", "   ", ":", " : : ", "<;", "<; ; ;"})
    void emptyLists(String list) {
        HostList parsed = HostList.parse(list);
        assertThat(parsed.isEmpty()).isTrue();
        assertThat(parsed).isEqualTo(HostList.empty()).hasToString("");
    }

    @Test
    void yamlListFormTakesEachElementAsOneItem() {
        HostList fromYaml = HostList.of(List.of(" 10.0.0.0/8 ", "::1", "! 2001:db8::/32", "", "*"));
        assertThat(fromYaml).hasToString("<; 10.0.0.0/8 ; ::1 ; !2001:db8::/32 ; *");
        assertThat(fromYaml).isEqualTo(HostList.parse("<; 10.0.0.0/8 ; ::1 ; !2001:db8::/32 ; *"));
    }

    @Test
    void yamlListFormDoesNotUndoubleColons() {
        // "::::1" is "::1" in an Exim string, but a YAML element is taken literally
        assertThatThrownBy(() -> HostList.of(List.of("::::1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("item '::::1': '::::1' is not an IP address");
        assertThat(HostList.parse("::::1")).isEqualTo(HostList.of(List.of("::1")));
    }

    @Test
    void emptyYamlListIsEmpty() {
        assertThat(HostList.of(List.of()).isEmpty()).isTrue();
        assertThat(HostList.of(List.of(" ", "")).isEmpty()).isTrue();
        assertThat(HostList.empty().isEmpty()).isTrue();
    }

    @Test
    void nonEmptyListIsNotEmpty() {
        assertThat(HostList.parse("*").isEmpty()).isFalse();
        assertThat(HostList.parse("!10.0.0.1").isEmpty()).isFalse();
    }

    @Test
    void equalityFollowsTheItems() {
        assertThat(HostList.parse("10.0.0.0/8 : 192.0.2.7"))
                .isEqualTo(HostList.of(Arrays.asList("10.1.0.0/8", "192.0.2.7/32")))
                .hasSameHashCodeAs(HostList.of(List.of("10.1.0.0/8", "192.0.2.7/32")))
                .isNotEqualTo(HostList.parse("192.0.2.7 : 10.0.0.0/8"))
                .isNotEqualTo(HostList.parse("10.0.0.0/8 : !192.0.2.7"))
                .isNotEqualTo(HostList.parse("10.0.0.0/9 : 192.0.2.7"));
    }
}
