package io.github.keycloakdane.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullAndEmptySource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DaneNameTest {

    @ParameterizedTest(name = "[{index}] ''{0}'' -> {1}")
    @CsvSource(delimiter = '|', value = {
            "device1._device.example.com       | device1._device.example.com",
            "Device1._DEVICE.Example.COM       | device1._device.example.com",
            "device1._device.example.com.      | device1._device.example.com",
            "DEVICE1._device.EXAMPLE.com.      | device1._device.example.com",
            "'  device1._device.example.com  ' | device1._device.example.com",
            "_smtp-client.device1.example.com  | _smtp-client.device1.example.com",
            "sensor7._device.example.com       | sensor7._device.example.com",
            "device73.example.com              | device73.example.com",
            "xn--bcher-kva.example             | xn--bcher-kva.example",
            "a-b_c.d-e_f                       | a-b_c.d-e_f",
            "0.example                         | 0.example",
    })
    void normalises(String raw, String expected) throws InvalidNameException {
        DaneName name = DaneName.parse(raw);
        assertThat(name.value()).isEqualTo(expected);
        assertThat(name.toString()).isEqualTo(expected);
        assertThat(name.fqdn()).isEqualTo(expected + ".");
    }

    @Test
    void differentlyWrittenNamesAreEqual() throws InvalidNameException {
        assertThat(DaneName.parse("Device1._device.Example.com."))
                .isEqualTo(DaneName.parse("device1._device.example.com"))
                .hasSameHashCodeAs(DaneName.parse("DEVICE1._DEVICE.EXAMPLE.COM"));
    }

    @Test
    void labelsMostSpecificFirst() throws InvalidNameException {
        assertThat(DaneName.parse("sensor7._device.Example.com.").labels())
                .containsExactly("sensor7", "_device", "example", "com");
    }

    @Test
    void labelOf63OctetsIsAcceptedAnd64Rejected() throws InvalidNameException {
        String label63 = "a".repeat(63);
        assertThat(DaneName.parse(label63 + ".example.com").labels().get(0)).hasSize(63);

        String label64 = "b".repeat(64);
        assertThatThrownBy(() -> DaneName.parse(label64 + ".example.com"))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("64 octets")
                .hasMessageContaining("63");
        assertThatThrownBy(() -> DaneName.parse("device." + label64 + ".example.com"))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("64 octets");
    }

    @Test
    void nameOf253OctetsIsAcceptedAnd254Rejected() throws InvalidNameException {
        // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253
        String name253 = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(63) + "." + "d".repeat(61);
        assertThat(name253).hasSize(253);
        assertThat(DaneName.parse(name253).value()).isEqualTo(name253);
        assertThat(DaneName.parse(name253 + ".").value()).isEqualTo(name253);

        String name254 = name253 + "d";
        assertThatThrownBy(() -> DaneName.parse(name254))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("254 octets")
                .hasMessageContaining("253");
    }

    @ParameterizedTest(name = "[{index}] ''{0}'' rejected: {1}")
    @CsvSource(delimiter = '|', value = {
            "device1/x.example.com          | '/'",
            "device1:443.example.com        | ':'",
            "user@device1.example.com       | '@'",
            "https://device1.example.com    | ':'",
            "device1\\.example.com          | escape",
            "\\065.example.com              | escape",
            "dev\\065ice.example.com        | escape",
            "bücher.example                 | U-labels",
            "device1.exämple.com            | U-labels",
            "a..b                           | empty label",
            ".example.com                   | empty label",
            "device1.example.com..          | empty label",
            "*._device.example.com          | wildcard",
            "*.example.com                  | wildcard",
            "a.*.example.com                | first label",
            "localhost                      | at least two labels",
            "com.                           | at least two labels",
            "dev ice.example.com            | control character",
            "device+1.example.com           | '+'",
            "device1.example.com!           | '!'",
            "dev*ice.example.com            | '*'",
    })
    void rejectsWithAMessageSayingWhy(String raw, String messagePart) {
        assertThatThrownBy(() -> DaneName.parse(raw))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining(messagePart);
    }

    @ParameterizedTest
    @NullAndEmptySource
    @ValueSource(strings = {"   ", "\t"})
    void rejectsEmptyNames(String raw) {
        assertThatThrownBy(() -> DaneName.parse(raw))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void rejectsTheRoot() {
        assertThatThrownBy(() -> DaneName.parse("."))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("root");
    }

    @Test
    void constructorRefusesUnnormalisedValues() {
        assertThatThrownBy(() -> new DaneName("Device1.example.com")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new DaneName(null)).isInstanceOf(IllegalArgumentException.class);
    }
}
