package io.masterwork.master.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListenAddressTest {

    @Test
    void hostAndPort() {
        InetSocketAddress a = ListenAddress.parse("127.0.0.1:8080");
        assertThat(a.getAddress().getHostAddress()).isEqualTo("127.0.0.1");
        assertThat(a.getPort()).isEqualTo(8080);
    }

    @Test
    void bracketedIpv6() {
        InetSocketAddress a = ListenAddress.parse("[::1]:8443");
        assertThat(a.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(a.getAddress().isLoopbackAddress()).isTrue();
        assertThat(a.getPort()).isEqualTo(8443);
    }

    @Test
    void bareIpv6WildcardInBrackets() {
        InetSocketAddress a = ListenAddress.parse("[::]:80");
        assertThat(a.getAddress()).isInstanceOf(Inet6Address.class);
        assertThat(a.getAddress().isAnyLocalAddress()).isTrue();
    }

    @Test
    void barePortMeansEveryIpv4Address() {
        InetSocketAddress a = ListenAddress.parse("8080");
        assertThat(a.getAddress()).isInstanceOf(Inet4Address.class);
        assertThat(a.getAddress().isAnyLocalAddress()).isTrue();
        assertThat(a.getPort()).isEqualTo(8080);
        assertThat(ListenAddress.parse("*:8080")).isEqualTo(a);
    }

    @Test
    void hostNameIsResolved() {
        assertThat(ListenAddress.parse("localhost:9000").getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void portZeroAsksTheKernel() {
        assertThat(ListenAddress.parse("127.0.0.1:0").getPort()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http", ":8080",
            "::1:8080", "[::1]", "[::1]8080", "[127.0.0.1]:80", "[]:80", "no-such-host.invalid:80", "-1"})
    void rejectsMalformedAddresses(String text) {
        assertThatThrownBy(() -> ListenAddress.parse(text)).isInstanceOf(IllegalArgumentException.class);
    }
}
