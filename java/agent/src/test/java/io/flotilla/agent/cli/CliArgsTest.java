package io.flotilla.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.boot.DefaultApplicationArguments;

class CliArgsTest {

    private static CliArgs args(String... raw) {
        return new CliArgs(new DefaultApplicationArguments(raw), Set.of("json"));
    }

    @Test
    void wordsSkipOptionValuesButNotFlags() {
        CliArgs a = args("chain", "info", "--json", "demo", "--rpc-url", "http://x:1", "--address-book=b.json");
        assertThat(a.words()).isEqualTo(List.of("chain", "info", "demo"));
        assertThat(a.flag("json")).isTrue();
        assertThat(a.option("rpc-url")).contains("http://x:1");
        assertThat(a.option("address-book")).contains("b.json");
        assertThat(a.option("keystore")).isEmpty();
    }

    @Test
    void anOptionWithoutValueAndAnUnknownOptionAreRefused() {
        assertThatThrownBy(() -> args("chain", "create", "x", "--type").option("type")).hasMessage("--type needs a value");
        assertThatThrownBy(() -> args("chain", "list", "--bogus").allowOnly(Set.of("rpc-url"))).hasMessage("unknown option --bogus");
    }

    @Test
    void lifetimes() {
        assertThat(ChainCommands.lifetime("3600")).isEqualTo(Duration.ofHours(1));
        assertThat(ChainCommands.lifetime("90m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(ChainCommands.lifetime("12h")).isEqualTo(Duration.ofHours(12));
        assertThat(ChainCommands.lifetime("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(ChainCommands.lifetime("2w")).isEqualTo(Duration.ofDays(14));
        assertThatThrownBy(() -> ChainCommands.lifetime("abc")).hasMessageContaining("not a duration");
        assertThatThrownBy(() -> ChainCommands.lifetime("-5d")).hasMessageContaining("not a duration");
    }

    @Test
    void hardhatDevelopmentAccounts() {
        assertThat(DevAccounts.account(0).getAddress()).isEqualTo("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
        assertThat(DevAccounts.account(DevAccounts.DEVELOPER).getAddress()).isEqualTo("0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199");
        assertThat(DevAccounts.byAddress("0x8626F6940E2EB28930EFB4CEF49B2D1F2C9C1199")).isPresent();
        assertThat(DevAccounts.byAddress("0x0000000000000000000000000000000000000001")).isEmpty();
    }
}
