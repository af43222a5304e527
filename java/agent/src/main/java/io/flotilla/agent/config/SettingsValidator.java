package io.flotilla.agent.config;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Checks settings before the agent starts; the first problem is reported as one line naming the setting. */
public final class SettingsValidator {

    private SettingsValidator() {}

    /** Validates what every command needs: the manager endpoint, the address book and the node key. */
    public static void validateManagerAccess(AgentSettings s) {
        String url = require(s.managerRpcUrl(), "manager-rpc-url");
        try {
            URI uri = URI.create(url);
            if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw fail("manager-rpc-url", "not an http(s) URL: " + url);
        }
        readableFile(s.addressBook(), "address-book");
        readableFile(s.keystore(), "keystore");
        readableFile(s.passwordFile(), "password-file");
    }

    /** Validates everything {@code agent run} needs. */
    public static void validateAgent(AgentSettings s) {
        validateManagerAccess(s);
        validateEndpoint(s);
        require(s.dockerHost(), "docker-host");
        if (s.dataDir() == null) {
            throw fail("data-dir", "missing");
        }
        positive(s.pollInterval(), "poll-interval");
        positive(s.resyncInterval(), "resync-interval");
        positive(s.volumeGracePeriod(), "volume-grace-period");
        positive(s.restartMaxDelay(), "restart-max-delay");
        positive(s.livenessThreshold(), "liveness-threshold");
        io.flotilla.agent.isolation.SubnodeUids.conflict(s.subnodeUidBase(), java.nio.file.Path.of("/etc"))
                .ifPresent(conflict -> {
                    throw fail("subnode-uid-base", conflict);
                });
        if (s.firewallTable() == null || !(s.firewallTable().equals("off")
                || io.flotilla.agent.isolation.FirewallRules.TABLE_NAME.matcher(s.firewallTable()).matches())) {
            throw fail("firewall-table", "must be \"off\" or an nft table name (a-z, 0-9, _; at most 31), got " + s.firewallTable());
        }
    }

    /** Validates the node's public endpoint. */
    public static void validateEndpoint(AgentSettings s) {
        String ip = require(s.ip(), "ip");
        if (!ip.matches("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}") || ip.equals("0.0.0.0")) {
            throw fail("ip", "not a usable IPv4 address: " + ip);
        }
        if (s.basePort() < 1024 || s.basePort() + 128 * 16 > 65536) {
            throw fail("base-port", "must leave room for 2048 ports between 1024 and 65535, got " + s.basePort());
        }
    }

    private static String require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw fail(name, "missing");
        }
        return value;
    }

    private static void readableFile(Path path, String name) {
        if (path == null) {
            throw fail(name, "missing");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw fail(name, "no readable file at " + path);
        }
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw fail(name, "must be a positive duration, got " + d);
        }
    }

    private static SettingsException fail(String name, String problem) {
        return new SettingsException("setting flotilla.agent." + name + ": " + problem);
    }
}
