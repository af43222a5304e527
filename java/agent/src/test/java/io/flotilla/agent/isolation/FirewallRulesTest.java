package io.flotilla.agent.isolation;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.plan.FirewallState;
import io.flotilla.agent.plan.SubnodeIsolation;
import io.flotilla.agent.plan.SubnodeIsolation.Endpoint;
import io.flotilla.agent.runtime.ResourceLimits;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The rules against the kernel's nftables (the tests run as root), with connections made as a subnode's uid by
 * setpriv: what the agent installs is what a subnode meets, without Docker in between.
 */
class FirewallRulesTest {

    private static final int BASE = 390_000;
    private final FirewallRules rules = new FirewallRules("flotilla_rules_test", BASE, SubnodeUids.SLOTS);
    private final Nftables nft = new Nftables(Nftables.locate().orElse(Path.of("/usr/sbin/nft")), rules);
    private final List<ServerSocket> listeners = new ArrayList<>();

    @AfterEach
    void cleanUp() throws Exception {
        for (ServerSocket s : listeners) {
            s.close();
        }
        nft.deleteTable();
    }

    @Test
    void aSubnodeUidReachesItsOwnPortsAndItsPeersAndNothingElse() throws Exception {
        assertThat(System.getProperty("user.name")).as("nftables needs root").isEqualTo("root");
        assertThat(nft.unusable()).isEmpty();
        int own = listen("127.0.0.71", 23_050);
        int peer = listen("127.0.0.72", 23_000);
        int otherChain = listen("127.0.0.72", 23_016);
        int hostService = listen("127.0.0.1", 23_999);
        SubnodeIsolation isolation = new SubnodeIsolation(BASE + 3, "127.0.0.71", 23_048,
                List.of(new Endpoint("127.0.0.72", 23_000), new Endpoint("127.0.0.72", 23_001), new Endpoint("127.0.0.71", 23_048)), 1);
        nft.apply(rules.apply(7, 3, isolation, Set.of()));

        assertThat(connectsAs(BASE + 3, "127.0.0.71", own)).as("its own port").isTrue();
        assertThat(connectsAs(BASE + 3, "127.0.0.72", peer)).as("its peer's consensus port").isTrue();
        assertThat(connectsAs(BASE + 3, "127.0.0.72", otherChain)).as("another chain's port").isFalse();
        assertThat(connectsAs(BASE + 3, "127.0.0.1", hostService)).as("a host service").isFalse();
        assertThat(connectsAs(BASE + 4, "127.0.0.72", peer)).as("a subnode uid without rules").isFalse();
        assertThat(connectsAs(BASE + 200, "127.0.0.1", hostService)).as("a uid outside the node's range").isTrue();

        FirewallState state = nft.read();
        assertThat(state.slots()).containsOnlyKeys(3);
        assertThat(state.slots().get(3)).isEqualTo(new FirewallState.Installed(7, isolation.firewallFingerprint(), Set.of(BASE + 3)));
        // Applying the same rules again changes nothing; removing them leaves no chain and no map entry.
        nft.apply(rules.apply(7, 3, isolation, Set.of()));
        assertThat(nft.read()).isEqualTo(state);
        nft.apply(rules.remove(3, Set.of(BASE + 3)));
        assertThat(nft.read().slots()).isEmpty();
        assertThat(connectsAs(BASE + 3, "127.0.0.72", peer)).as("a removed subnode's uid").isFalse();
    }

    @Test
    void nothingFromTheContractsCanChangeTheScriptsSyntax() {
        SubnodeIsolation hostile = new SubnodeIsolation(BASE, "127.0.0.71", 23_000,
                List.of(new Endpoint("1.2.3.4 } accept ; add rule inet x y", 1)), 1);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rules.apply(1, 0, hostile, Set.of()))
                .hasMessageContaining("not an IPv4 address");
    }

    @Test
    void withoutNftTheContainerPlanGoesOnAndHealthSaysTheSubnodesAreNotIsolated() {
        Isolation isolation = new Isolation(new Nftables(Path.of("/nonexistent/nft"), rules), null, null);
        SubnodeIsolation si = new SubnodeIsolation(BASE, "127.0.0.71", 23_000, List.of(), 1);
        DesiredSubnode s = new DesiredSubnode("0a0b0c0d", 1, "c", 1, 0, "1", "sha256:aa", new ResourceLimits(1, 1, 1, 1, 1), "{}", "c", "p", si);
        List<Action> containers = List.of(new Action.CreateContainer(1, s));
        assertThat(isolation.plan(new DesiredState(1, List.of(s), Map.of()), Set.of(), containers)).isEqualTo(containers);
        assertThat(isolation.problems()).singleElement().satisfies(p -> assertThat(p).startsWith("firewall: cannot run /nonexistent/nft")
                .endsWith("subnodes are not network-isolated"));
    }

    private int listen(String ip, int port) throws Exception {
        ServerSocket server = new ServerSocket(port, 50, InetAddress.getByName(ip));
        listeners.add(server);
        Thread.ofVirtual().start(() -> {
            while (!server.isClosed()) {
                try (Socket s = server.accept()) {
                    s.getOutputStream().flush();
                } catch (Exception closed) {
                    return;
                }
            }
        });
        return port;
    }

    private static boolean connectsAs(int uid, String ip, int port) throws Exception {
        Process p = new ProcessBuilder("setpriv", "--reuid", Integer.toString(uid), "--regid", Integer.toString(uid), "--clear-groups",
                "timeout", "5", "bash", "-c", "exec 3<>/dev/tcp/" + ip + "/" + port).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0;
    }
}
