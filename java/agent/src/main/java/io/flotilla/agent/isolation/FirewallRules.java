package io.flotilla.agent.isolation;

import io.flotilla.agent.plan.SubnodeIsolation;
import io.flotilla.agent.plan.SubnodeIsolation.Endpoint;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Renders the nftables scripts of the agent's table (docs/agent.md, "Isolation"). Each script is one {@code nft -f}
 * transaction, so the kernel switches from the old rules to the new ones at once, or not at all.
 *
 * <p>The table ({@code inet <name>}) has an output chain that sends every packet of a subnode uid, through the map
 * {@code subnodes} (uid to chain), to its slot's chain {@code slot_<n>}; a uid of the node's range that has no entry
 * (yet) is rejected. A slot's chain accepts only the answers of the subnode's own listeners and the connections it
 * opens to its own ports and to its chain's members' consensus and catch-up ports; everything else is rejected
 * (a TCP reset, so a connect fails at once).
 */
public final class FirewallRules {

    /** nft identifiers the agent accepts for its table: lower case, digits, underscores. */
    public static final Pattern TABLE_NAME = Pattern.compile("[a-z][a-z0-9_]{0,30}");
    static final String MAP = "subnodes";
    static final String OUTPUT = "output";
    static final String SLOT_PREFIX = "slot_";
    /** Marks the rule that carries a slot chain's chain id and fingerprint. */
    static final String LABEL_PREFIX = "flotilla chain=";

    private final String table;
    private final int uidBase;
    private final int uidCount;

    /**
     * @param table the agent's table name (in the {@code inet} family)
     * @param uidBase first subnode uid of this node
     * @param uidCount how many uids the node's subnodes may use (one per slot)
     */
    public FirewallRules(String table, int uidBase, int uidCount) {
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a usable nft table name: " + table);
        }
        this.table = table;
        this.uidBase = uidBase;
        this.uidCount = uidCount;
    }

    public String table() {
        return table;
    }

    static String slotChain(int slot) {
        return SLOT_PREFIX + slot;
    }

    /** The table, the map and the output chain, (re)written idempotently: the start of every apply script. */
    private String skeleton() {
        String t = "inet " + table;
        return "add table " + t + "\n"
                + "add map " + t + " " + MAP + " { typeof meta skuid : verdict ; }\n"
                + "add chain " + t + " " + OUTPUT + " { type filter hook output priority filter ; policy accept ; }\n"
                + "flush chain " + t + " " + OUTPUT + "\n"
                + "add rule " + t + " " + OUTPUT + " meta skuid vmap @" + MAP + "\n"
                + "add rule " + t + " " + OUTPUT + " meta skuid " + uidBase + "-" + (uidBase + uidCount - 1)
                + " counter reject with icmpx admin-prohibited comment \"flotilla: a subnode uid without its rules\"\n";
    }

    /**
     * Installs or rebuilds slot {@code slot}'s chain for chain {@code chainId} and points the subnode's uid at it.
     *
     * @param staleUids uids the map sends to this slot now that are not the subnode's uid (a changed uid base)
     */
    public String apply(long chainId, int slot, SubnodeIsolation isolation, Set<Integer> staleUids) {
        String t = "inet " + table;
        String chain = slotChain(slot);
        int last = isolation.firstPort() + SubnodeIsolation.PORTS_PER_SLOT - 1;
        String ownRange = isolation.firstPort() + "-" + last;
        StringBuilder s = new StringBuilder(skeleton());
        for (int stale : staleUids) {
            if (stale != isolation.uid()) {
                s.append("delete element ").append(t).append(' ').append(MAP).append(" { ").append(stale).append(" }\n");
            }
        }
        s.append("add chain ").append(t).append(' ').append(chain).append('\n');
        s.append("flush chain ").append(t).append(' ').append(chain).append('\n');
        // Answers of its own listeners (JSON-RPC, consensus, catch-up), which anyone may reach. Only in the reply
        // direction: a connection it opens from one of its ports is an original-direction packet and falls through.
        s.append("add rule ").append(t).append(' ').append(chain).append(" ct direction reply ip saddr ")
                .append(ip(isolation.bindIp())).append(" tcp sport ").append(ownRange).append(" accept\n");
        // Its own ports are one range; a set of intervals refuses overlapping elements, so its own member entry goes.
        String peers = isolation.peers().stream()
                .filter(e -> !(e.ip().equals(isolation.bindIp()) && e.port() >= isolation.firstPort() && e.port() <= last))
                .map(FirewallRules::element).collect(Collectors.joining(", "));
        String targets = ip(isolation.bindIp()) + " . " + ownRange + (peers.isEmpty() ? "" : ", " + peers);
        s.append("add rule ").append(t).append(' ').append(chain).append(" ct direction original ip daddr . tcp dport { ")
                .append(targets).append(" } accept\n");
        s.append("add rule ").append(t).append(' ').append(chain).append(" meta l4proto tcp counter reject with tcp reset\n");
        s.append("add rule ").append(t).append(' ').append(chain).append(" counter reject with icmpx admin-prohibited comment \"")
                .append(LABEL_PREFIX).append(chainId).append(" rules=").append(isolation.firewallFingerprint()).append("\"\n");
        s.append("add element ").append(t).append(' ').append(MAP).append(" { ").append(isolation.uid()).append(" : jump ")
                .append(chain).append(" }\n");
        return s.toString();
    }

    /** Removes slot {@code slot}'s chain and the map entries that point at it. */
    public String remove(int slot, Set<Integer> uids) {
        String t = "inet " + table;
        StringBuilder s = new StringBuilder();
        for (int uid : uids) {
            s.append("delete element ").append(t).append(' ').append(MAP).append(" { ").append(uid).append(" }\n");
        }
        s.append("delete chain ").append(t).append(' ').append(slotChain(slot)).append('\n');
        return s.toString();
    }

    private static String element(Endpoint e) {
        return ip(e.ip()) + " . " + e.port();
    }

    /** An IPv4 literal, checked, so nothing from the contracts can change the script's syntax. */
    static String ip(String ip) {
        if (!ip.matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}")) {
            throw new IllegalArgumentException("not an IPv4 address: " + ip);
        }
        return ip;
    }
}
