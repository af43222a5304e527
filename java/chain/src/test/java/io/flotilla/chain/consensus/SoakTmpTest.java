package io.flotilla.chain.consensus;

import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.Equivocator;
import io.flotilla.chain.consensus.sim.Replica;
import java.util.*;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SoakTmpTest {
    @Test
    void soak() {
        int stalls = 0, runs = 0;
        for (int n : new int[] {4, 7}) {
            int faulty = (n - 1) / 3;
            for (long seed = 1000; seed < (n == 4 ? 1200 : 1040); seed++) {
                for (double drop : new double[] {0.0, 0.1}) {
                    Random random = new Random(seed);
                    List<Integer> order = new ArrayList<>(IntStream.range(0, n).boxed().toList());
                    Collections.shuffle(order, random);
                    List<Integer> honestIdx = order.subList(faulty, n);
                    var sideA = new HashSet<>(honestIdx.subList(0, 1 + random.nextInt(honestIdx.size() - 1)));
                    Cluster cluster = new Cluster(n, seed, 5, 600, drop);
                    order.subList(0, faulty).forEach(i -> cluster.replica(i).setBehaviour(new Equivocator(sideA)));
                    List<Replica> honest = honestIdx.stream().map(cluster::replica).toList();
                    if (drop > 0) honest.forEach(Replica::enableSync);
                    cluster.start();
                    if (random.nextBoolean()) {
                        cluster.runFor(random.nextInt(20_000));
                        int[] g = new int[n];
                        for (int i = 0; i < n; i++) g[i] = random.nextInt(2);
                        cluster.network().partition(g);
                        cluster.runFor(random.nextInt(30_000));
                        cluster.network().heal();
                    }
                    boolean live = cluster.runUntil(() -> cluster.allCommitted(honest, 10), 1_200_000);
                    cluster.assertAgreementAndCertificates(honest);
                    runs++;
                    if (!live) { stalls++; System.out.println("STALL n=" + n + " seed=" + seed + " drop=" + drop + " " + cluster.replicas()); }
                }
            }
        }
        System.out.println("SOAK runs=" + runs + " stalls=" + stalls);
    }
}
