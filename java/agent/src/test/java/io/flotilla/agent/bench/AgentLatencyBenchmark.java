package io.flotilla.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.flotilla.agent.it.SimulatedNode;
import io.flotilla.agent.it.TestNetwork;
import io.flotilla.agent.liveness.PeerProber;
import io.flotilla.agent.plan.Names;
import io.flotilla.agent.reconcile.ReconcileLoop;
import io.flotilla.agent.runtime.DockerContainerRuntime;
import io.flotilla.agent.runtime.ObservedContainer;
import io.flotilla.manager.ChainInfo;
import io.flotilla.manager.ManagerClient;
import io.flotilla.manager.ManagerEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * `./flotilla bench agent`: the time from a chain's creation on the contracts (its transaction's receipt) until
 * every member's subnode container runs, over 20 creations, with each simulated node's agent running its real
 * event-driven loop. Prints one JSON line. Not part of `./flotilla test` (tag "benchmark").
 */
@Tag("benchmark")
class AgentLatencyBenchmark {

    private static final int CHAINS = 20;
    private static final int NODES = 6;
    private static final Duration POLL = Duration.ofMillis(500);

    @Test
    void eventToRunningLatency() throws Exception {
        DockerContainerRuntime runtime = new DockerContainerRuntime("unix:///var/run/docker.sock");
        List<SimulatedNode> nodes = new ArrayList<>();
        List<ReconcileLoop> loops = new ArrayList<>();
        try (TestNetwork network = TestNetwork.start()) {
            ManagerClient developer = network.client(TestNetwork.account(9));
            for (int i = 1; i <= NODES; i++) {
                SimulatedNode node = new SimulatedNode(network, runtime, 40 + i, TestNetwork.account(i), Duration.ofHours(1));
                nodes.add(node);
                ReconcileLoop loop = node.loop(POLL, Duration.ofSeconds(30), Runnable::run);
                loop.start();
                loops.add(loop);
            }
            Thread.sleep(2_000); // first passes done
            List<Long> latencies = new ArrayList<>();
            for (int k = 0; k < CHAINS; k++) {
                // Measured from before the transaction is sent: includes its mining, so it is an upper bound.
                Instant created = Instant.now();
                long chainId = developer.createSidechain("bench-" + k, "dev4", Duration.ofDays(1), "bft", TestNetwork.STANDIN_VERSION);
                ChainInfo chain = developer.chain(chainId);
                Instant deadline = created.plusSeconds(30);
                List<ObservedContainer> running;
                do {
                    Thread.sleep(50);
                    running = runtime.listContainers(Map.of(Names.LABEL_CHAIN, Long.toString(chainId))).stream()
                            .filter(c -> c.state() == ObservedContainer.ContainerState.RUNNING).toList();
                } while (running.size() < chain.members().size() && Instant.now().isBefore(deadline));
                assertThat(running).as("subnodes of chain %d running within 30 s", chainId).hasSize(chain.members().size());
                Instant lastStarted = running.stream().map(ObservedContainer::startedAt).max(Instant::compareTo).orElseThrow();
                latencies.add(Math.max(0, Duration.between(created, lastStarted).toMillis()));
                Thread.sleep(300 + (k * 137L) % 700); // spread creations over the poll phase
            }
            Collections.sort(latencies);
            System.out.printf("{\"bench\":\"agent\",\"chains\":%d,\"nodes\":%d,\"poll_interval_ms\":%d,\"p50_ms\":%d,\"p95_ms\":%d,\"max_ms\":%d}%n",
                    CHAINS, NODES, POLL.toMillis(), percentile(latencies, 50), percentile(latencies, 95), latencies.getLast());
        } finally {
            loops.forEach(ReconcileLoop::close);
            for (SimulatedNode node : nodes) {
                runtime.listContainers(Names.nodeSelector(node.network().book.networkId(), node.id)).forEach(c -> runtime.removeContainer(c.id()));
                runtime.listVolumes(Names.nodeSelector(node.network().book.networkId(), node.id)).forEach(v -> runtime.removeVolume(v.name()));
                node.removeIsolation();
            }
            runtime.close();
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }
}
