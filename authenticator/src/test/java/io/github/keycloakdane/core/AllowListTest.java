package io.github.keycloakdane.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Arrays;
import java.util.List;

import static io.github.keycloakdane.core.Fixtures.name;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AllowListTest {

    private static AllowList list(String... entries) throws InvalidNameException {
        return AllowList.parse(Arrays.asList(entries));
    }

    @ParameterizedTest(name = "[{index}] {0} admits {1}: {2}")
    @CsvSource(delimiter = '|', value = {
            // exact entries
            "device1._device.example.com | device1._device.example.com     | true",
            "device1._device.example.com | device2._device.example.com     | false",
            "device1._device.example.com | x.device1._device.example.com   | false",
            "device1._device.example.com | _device.example.com             | false",
            // subtree entries
            ".example.com                | a.example.com                   | true",
            ".example.com                | x.y.example.com                 | true",
            ".example.com                | sensor9._device.example.com     | true",
            ".example.com                | example.com                     | false",
            ".example.com                | badexample.com                  | false",
            ".example.com                | a.badexample.com                | false",
            ".example.com                | a.example.com.evil.org          | false",
            ".example.com                | a.example.org                   | false",
            // one-label wildcard entries
            "*._device.example.com       | sensor9._device.example.com     | true",
            "*._device.example.com       | _x._device.example.com          | true",
            "*._device.example.com       | a.b._device.example.com         | false",
            "*._device.example.com       | _device.example.com             | false",
            "*._device.example.com       | sensor9.x_device.example.com    | false",
            "*._device.example.com       | sensor9._device.example.org     | false",
            "*._device.example.com       | sensor9.device.example.com      | false",
    })
    void admits(String entry, String candidate, boolean admitted) throws InvalidNameException {
        assertThat(list(entry).admits(name(candidate))).isEqualTo(admitted);
    }

    @Test
    void matchingIsCaseInsensitiveAndIgnoresTrailingDots() throws InvalidNameException {
        AllowList allow = list("Device1._DEVICE.Example.COM.", ".EXAMPLE.org.", "*._Device.Example.NET.");
        assertThat(allow.admits(name("DEVICE1._device.example.com."))).isTrue();
        assertThat(allow.admits(name("device1._device.example.com"))).isTrue();
        assertThat(allow.admits(name("A.Example.Org"))).isTrue();
        assertThat(allow.admits(name("Sensor9._device.example.net."))).isTrue();
        assertThat(allow.admits(name("example.org"))).isFalse();
        assertThat(allow.admits(name("a.b._device.example.net"))).isFalse();
    }

    @Test
    void severalEntriesAdmitTheUnion() throws InvalidNameException {
        AllowList allow = list("device1.example.com", "*._device.example.net");
        assertThat(allow.admits(name("device1.example.com"))).isTrue();
        assertThat(allow.admits(name("s1._device.example.net"))).isTrue();
        assertThat(allow.admits(name("device2.example.com"))).isFalse();
        assertThat(allow.isEmpty()).isFalse();
    }

    @Test
    void joinedFormSplitsOnCommasWhiteSpaceAndDoubleHash() throws InvalidNameException {
        AllowList allow = AllowList.parse(" a.example.com, b.example.com  c.example.com##.d.example.com\n*._e.example.com ");
        for (String admitted : List.of("a.example.com", "b.example.com", "c.example.com", "x.d.example.com",
                "s._e.example.com")) {
            assertThat(allow.admits(name(admitted))).as(admitted).isTrue();
        }
        assertThat(allow.admits(name("d.example.com"))).isFalse();
        assertThat(allow.admits(name("e.example.com"))).isFalse();
    }

    @Test
    void emptyListAdmitsNothing() throws InvalidNameException {
        for (AllowList empty : List.of(list(), list("", "  "), AllowList.parse(""), AllowList.parse((String) null),
                AllowList.parse(" , ## "))) {
            assertThat(empty.isEmpty()).isTrue();
            assertThat(empty.admits(name("device1._device.example.com"))).isFalse();
            assertThat(empty.admits(name("a.example.com"))).isFalse();
        }
    }

    @Test
    void anyAdmitsEveryValidName() {
        AllowList any = AllowList.any();
        assertThat(any.isEmpty()).isFalse();
        assertThat(any.admits(name("whatever.example.org"))).isTrue();
        assertThat(any.admits(name("sensor9._device.example.com"))).isTrue();
    }

    static List<String> malformedEntries() {
        return List.of(
            "bad/name.example.com",
            "a..b",
            "*",
            "*.",
            ".",
            "com",
            ".com",
            "*.com",
            "**.example.com",
            "*.*.example.com",
            "a.*.example.com",
            "bücher.example",
            "dev\\065.example.com",
            "user@example.com",
            "x".repeat(64) + ".example.com");
    }

    @ParameterizedTest
    @MethodSource("malformedEntries")
    void malformedEntryIsRejectedWithAMessageNamingIt(String entry) {
        assertThatThrownBy(() -> list("good.example.com", entry))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("'" + entry + "'");
        assertThatThrownBy(() -> AllowList.parse("good.example.com," + entry))
                .isInstanceOf(InvalidNameException.class)
                .hasMessageContaining("'" + entry + "'");
    }
}
