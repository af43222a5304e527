package io.flotilla.chain.consensus.sim;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Point-to-point links with seeded random delay and loss, plus partitions. A message is lost if
 * its ends are in different partition groups when it is sent or when it would arrive.
 */
public final class SimNetwork {
    private final SimScheduler scheduler;
    private final Random random;
    private final long minDelay;
    private final long maxDelay;
    private final double dropRate;
    private int[] group;
    private long delivered;
    private long lost;

    public SimNetwork(SimScheduler scheduler, long seed, int nodes, long minDelay, long maxDelay, double dropRate) {
        this.scheduler = scheduler;
        this.random = new Random(seed);
        this.minDelay = minDelay;
        this.maxDelay = maxDelay;
        this.dropRate = dropRate;
        this.group = new int[nodes];
    }

    /** Splits the nodes: {@code groups[i]} is node i's side. Only same-side nodes can talk. */
    public void partition(int... groups) {
        this.group = groups.clone();
    }

    public void heal() {
        this.group = new int[group.length];
    }

    public void send(int from, int to, IntConsumer deliverTo) {
        if (!connected(from, to) || random.nextDouble() < dropRate) {
            lost++;
            return;
        }
        long delay = minDelay + (long) (random.nextDouble() * (maxDelay - minDelay));
        scheduler.after(delay, () -> {
            if (!connected(from, to)) {
                lost++;
                return;
            }
            delivered++;
            deliverTo.accept(to);
        });
    }

    private boolean connected(int a, int b) {
        return group[a] == group[b];
    }

    public long delivered() {
        return delivered;
    }

    public long lost() {
        return lost;
    }

    @Override
    public String toString() {
        return "SimNetwork[groups=" + Arrays.toString(group) + ", delivered=" + delivered + ", lost=" + lost + "]";
    }
}
