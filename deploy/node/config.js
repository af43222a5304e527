// /etc/flotilla/agent.yml: the one configuration file of a validator's node. The agent (Spring Boot) reads it on top
// of its built-in defaults (java/agent/src/main/resources/application.yml) through
// --spring.config.additional-location, which ./flotilla, the systemd unit and the container image all pass; an
// environment variable (FLOTILLA_AGENT_IP, ...) still wins over the file. `node init` writes it; `node check` reads it.

/** Every setting: [yaml path, default, one line of documentation]. The defaults are the agent's own. */
export const SETTINGS = [
  ["flotilla.agent.manager-rpc-url", "http://127.0.0.1:8545", "JSON-RPC endpoint of the Ethereum network holding the manager contracts"],
  ["flotilla.agent.address-book", "deploy/deployments/31337.json", "address book of the deployment (written by ./flotilla deploy)"],
  ["flotilla.agent.keystore", "", "the node key: an encrypted V3 keystore (required)"],
  ["flotilla.agent.password-file", "", "the keystore's password, one line (required)"],
  ["flotilla.agent.ip", "", "the node's public IPv4; subnodes bind to it, peers and dApps connect to it (required)"],
  ["flotilla.agent.base-port", 20000, "first port of the node's range: base-port .. base-port + 2047 (128 slots x 16 ports), open them all"],
  ["flotilla.agent.capacity.cpu-millicores", 0, "CPU the node offers, in millicores (0: detect)"],
  ["flotilla.agent.capacity.memory-mib", 0, "memory the node offers, in MiB (0: detect)"],
  ["flotilla.agent.capacity.disk-gib", 0, "disk the node offers, in GiB (0: detect, free space of data-dir)"],
  ["flotilla.agent.reserve.cpu-millicores", 500, "kept for the agent and the host before dividing among subnodes"],
  ["flotilla.agent.reserve.memory-mib", 512, "kept for the agent and the host"],
  ["flotilla.agent.reserve.disk-gib", 1, "kept for the agent and the host"],
  ["flotilla.agent.docker-host", "unix:///var/run/docker.sock", "Docker engine endpoint"],
  ["flotilla.agent.data-dir", "/var/lib/flotilla", "subnode config directories and the agent's own state"],
  ["flotilla.agent.poll-interval", "500ms", "how often contract events are polled"],
  ["flotilla.agent.resync-interval", "30s", "full re-read of the contracts even without events"],
  ["flotilla.agent.volume-grace-period", "24h", "how long a chain's data volume survives after the chain left the node"],
  ["flotilla.agent.restart-max-delay", "2m", "longest wait between restarts of a crashing subnode"],
  ["flotilla.agent.liveness-threshold", "30s", "how long a peer must stay unhealthy before it is reported down"],
  ["flotilla.agent.subnode-uid-base", 200000, "first uid of the subnodes: slot s runs as uid and gid base + s (128 uids, none of /etc/passwd, /etc/group, /etc/subuid, /etc/subgid, at least 100000)"],
  ["flotilla.agent.firewall-table", "flotilla", "nftables table (family inet) of the subnodes' firewall, or off (subnodes then reach anything)"],
  ["server.address", "127.0.0.1", "address of the status API (/status, /actuator/health, /actuator/prometheus); keep it private"],
  ["server.port", 8080, "port of the status API"],
];

function yamlScalar(value) {
  if (typeof value === "number") return String(value);
  return JSON.stringify(String(value)); // a JSON string is a valid YAML double-quoted scalar
}

/**
 * The text of agent.yml: every setting, the chosen value or else the default, each with a comment naming its
 * default, grouped as the YAML tree. `values` maps the names after "flotilla.agent." (capacity as an object).
 */
export function renderConfig(values) {
  const flat = { ...values };
  if (values.capacity) {
    for (const [k, v] of Object.entries(values.capacity)) flat[`capacity.${k}`] = v;
    delete flat.capacity;
  }
  const lines = [
    "# Flotilla node agent configuration, written by `./flotilla node init`. Every setting is listed with its default;",
    "# edit and restart the agent (systemctl restart flotilla-agent). Environment variables FLOTILLA_AGENT_<NAME> win",
    "# over this file. docs/agent.md explains each setting.",
  ];
  const open = [];
  for (const [path, fallback, doc] of SETTINGS) {
    const parts = path.split(".");
    const key = path.startsWith("flotilla.agent.") ? path.slice("flotilla.agent.".length) : path;
    const value = flat[key] ?? fallback;
    let common = 0;
    while (common < open.length && common < parts.length - 1 && open[common] === parts[common]) common++;
    open.length = common;
    for (let i = common; i < parts.length - 1; i++) {
      lines.push(`${"  ".repeat(i)}${parts[i]}:`);
      open.push(parts[i]);
    }
    const indent = "  ".repeat(parts.length - 1);
    lines.push(`${indent}# ${doc}. Default: ${fallback === "" ? "(none)" : fallback}`);
    lines.push(`${indent}${parts.at(-1)}: ${yamlScalar(value)}`);
  }
  lines.push(
    "logging:",
    "  # The agent logs to stdout: journald (systemd) or Docker's log driver rotate it. A log file is optional:",
    "  # file.name: /var/log/flotilla/agent.log  (then rotated by the agent: 10 MB a file, 7 files)",
    "  logback:",
    "    rollingpolicy:",
    "      # Rotation of the optional log file. Defaults: 10MB, 7",
    "      max-file-size: 10MB",
    "      max-history: 7",
  );
  return lines.join("\n") + "\n";
}
