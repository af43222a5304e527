package io.flotilla.agent.isolation;

import io.flotilla.agent.plan.Action;
import io.flotilla.agent.plan.DesiredState;
import io.flotilla.agent.plan.DesiredSubnode;
import io.flotilla.agent.plan.FirewallPlanner;
import io.flotilla.agent.plan.FirewallState;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The executor side of subnode isolation (docs/agent.md, "Isolation"): the per-subnode firewall and the volume
 * quotas. Either may be unavailable on a machine (no nft, not root); the agent then runs its subnodes without it and
 * says so in health, rather than stopping them.
 */
public final class Isolation {

    private static final Logger LOG = LoggerFactory.getLogger(Isolation.class);

    private final Nftables firewall;
    private final String firewallOff;
    private final VolumeQuota quotas;
    private final String quotasUnusable;
    private final FirewallPlanner planner = new FirewallPlanner();
    private volatile String firewallProblem;

    /**
     * @param firewall the node's nftables table, null when the operator turned the firewall off
     * @param quotas the node's volume images, null when they cannot be made here
     * @param quotasUnusable why there are no quotas (null when there are)
     */
    public Isolation(Nftables firewall, VolumeQuota quotas, String quotasUnusable) {
        this.firewall = firewall;
        this.firewallOff = firewall == null ? "network isolation is off (firewall-table: off): subnodes can reach anything" : null;
        this.quotas = quotas;
        this.quotasUnusable = quotasUnusable;
        if (firewallOff != null) {
            LOG.warn("{}", firewallOff);
        }
        if (quotasUnusable != null) {
            LOG.warn("disk quotas unavailable: {}", quotasUnusable);
        }
    }

    /** No firewall, no quotas: for tests of unrelated logic. */
    public static Isolation none() {
        return new Isolation(null, null, null);
    }

    /**
     * The pass's whole plan: firewall installs, the container plan, firewall removals. When the firewall cannot be
     * read, the container plan alone (the problem is reported by {@link #problems()}).
     */
    public List<Action> plan(DesiredState desired, Set<Long> chainsWithContainers, List<Action> containerPlan) {
        if (firewall == null) {
            return containerPlan;
        }
        FirewallState installed;
        try {
            installed = firewall.read();
            firewallProblem = null;
        } catch (RuntimeException e) {
            if (firewallProblem == null) {
                LOG.warn("firewall: {}", e.getMessage());
            }
            firewallProblem = "firewall: " + e.getMessage() + ": subnodes are not network-isolated";
            return containerPlan;
        }
        return planner.plan(desired, installed, chainsWithContainers, containerPlan);
    }

    public void applyFirewall(Action.ApplyFirewall a) {
        DesiredSubnode s = a.subnode();
        firewall.apply(firewall.rules().apply(s.chainId(), s.slot(), s.isolation(), a.staleUids()));
    }

    public void removeFirewall(Action.RemoveFirewall a) {
        firewall.apply(firewall.rules().remove(a.slot(), a.uids()));
    }

    /** Makes the volume's quota'd file system; returns the Docker volume options (empty without quotas). */
    public Map<String, String> createVolume(DesiredSubnode s) {
        if (quotas == null || s.isolation() == null) {
            return Map.of();
        }
        quotas.create(s.volumeName(), s.isolation().diskBytes(), s.isolation().uid());
        return quotas.dockerOptions(s.volumeName());
    }

    /**
     * A volume made before subnodes had their own uids (a plain Docker volume whose files belong to another uid, 65534
     * by default) is handed to the subnode's uid before its container is made, so the subnode can still write its
     * data. Volumes with a quota file system are made for their uid and left alone.
     *
     * @param mountpoint where the engine keeps the volume's files on the host
     */
    public void adoptVolume(DesiredSubnode s, java.nio.file.Path mountpoint) {
        if (s.isolation() == null || (quotas != null && quotas.hasImage(s.volumeName()))) {
            return;
        }
        int uid = s.isolation().uid();
        try {
            if (java.nio.file.Files.isDirectory(mountpoint) && !Integer.valueOf(uid).equals(java.nio.file.Files.getAttribute(mountpoint, "unix:uid"))) {
                LOG.info("chain {}: handing volume {} to uid {}", s.chainId(), s.volumeName(), uid);
                VolumeQuota.exec("chown", "-R", uid + ":" + uid, mountpoint.toString());
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot hand volume " + s.volumeName() + " to uid " + uid + ": " + e.getMessage(), e);
        }
    }

    public void removeVolume(String volume) {
        if (quotas != null) {
            quotas.remove(volume);
        }
    }

    /** Before any container starts: every volume image mounted (they do not survive a reboot). */
    public void beforeStart() {
        if (quotas != null) {
            List<String> mounted = quotas.mountAll();
            if (!mounted.isEmpty()) {
                LOG.info("mounted the volume images of {}", mounted);
            }
        }
    }

    public Optional<VolumeQuota.Usage> usage(String volume) {
        return quotas == null ? Optional.empty() : quotas.usage(volume);
    }

    /** What makes health DOWN: a firewall that should work and does not. */
    public List<String> problems() {
        String f = firewallProblem;
        return f == null ? List.of() : List.of(f);
    }

    /**
     * What health shows without going DOWN: the firewall turned off by the operator, and volumes without a size limit
     * where this machine cannot make them (an agent that is not root, no mkfs.ext4 or loop devices).
     */
    public List<String> notices() {
        List<String> notices = new java.util.ArrayList<>();
        if (firewallOff != null) {
            notices.add(firewallOff);
        }
        if (quotasUnusable != null && quotas == null) {
            notices.add("disk quotas unavailable: " + quotasUnusable + ": new subnode volumes have no size limit");
        }
        return notices;
    }

    /** Removes this node's table and volume images: for tests and a node taken down for good. */
    public void removeAll() {
        if (firewall != null) {
            firewall.deleteTable();
        }
        if (quotas != null) {
            quotas.removeAll();
        }
    }
}
