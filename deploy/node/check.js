// `./flotilla node check`: is this server ready to run a Flotilla node as configured in agent.yml? One line per
// check, "ok" or "FAIL" with what was found; exit status 1 when any check fails. See docs/agent.md, "Server requirements".
//
//   node deploy/node/check.js [--config /etc/flotilla/agent.yml]
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statfsSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";
import yaml from "js-yaml";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const MIN_DOCKER = [20, 10];
const MAX_CLOCK_SKEW_S = 5;

const argv = process.argv.slice(2);
let configFile = "/etc/flotilla/agent.yml";
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === "--config" && argv[i + 1]) configFile = argv[++i];
  else {
    console.error(`flotilla node check: unknown argument '${argv[i]}' (usage: ./flotilla node check [--config FILE])`);
    process.exit(1);
  }
}

let failures = 0;
const ok = (name, detail) => console.log(`ok    ${name.padEnd(12)} ${detail}`);
const bad = (name, detail) => {
  failures++;
  console.log(`FAIL  ${name.padEnd(12)} ${detail}`);
};

let config;
try {
  const doc = yaml.load(readFileSync(configFile, "utf8"));
  config = { ...doc?.flotilla?.agent, server: doc?.server ?? {} };
} catch (error) {
  bad("config", `${configFile}: ${error.code === "ENOENT" ? "missing (write it with ./flotilla node init)" : error.message.split("\n")[0]}`);
  process.exit(1);
}
const defaults = yaml.load(readFileSync(join(root, "java/agent/src/main/resources/application.yml"), "utf8")).flotilla.agent;
const setting = (name) => config[name] ?? defaults[name];
const capacity = { ...defaults.capacity, ...config.capacity };
const reserve = { ...defaults.reserve, ...config.reserve };
const dataDir = setting("data-dir");
const ip = setting("ip");
const basePort = Number(setting("base-port"));

// The node key.
let nodeAddress;
try {
  const password = readFileSync(setting("password-file"), "utf8").trim();
  const wallet = await ethers.Wallet.fromEncryptedJson(readFileSync(setting("keystore"), "utf8"), password);
  nodeAddress = wallet.address;
  ok("node key", `${nodeAddress} (${setting("keystore")})`);
} catch (error) {
  bad("node key", `keystore ${setting("keystore") || "(not set)"} with password file ${setting("password-file") || "(not set)"}: ${error.code === "ENOENT" ? "missing" : error.message.split("\n")[0]}`);
}

// Docker: the engine answers, is recent enough, and applies the limits the agent sets on every subnode.
const dockerHost = setting("docker-host");
let dockerInfo;
try {
  const version = execFileSync("docker", ["-H", dockerHost, "version", "--format", "{{.Server.Version}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  const [major, minor] = version.split(/[.+-]/).map(Number);
  if (major > MIN_DOCKER[0] || (major === MIN_DOCKER[0] && minor >= MIN_DOCKER[1])) ok("docker", `engine ${version} at ${dockerHost}`);
  else bad("docker", `engine ${version} at ${dockerHost}: ${MIN_DOCKER.join(".")} or newer is needed`);
  dockerInfo = JSON.parse(execFileSync("docker", ["-H", dockerHost, "info", "--format", "{{json .}}"], { encoding: "utf8" }));
} catch (error) {
  bad("docker", `no Docker engine answers at ${dockerHost}: ${(error.stderr?.toString() || error.message).trim().split("\n")[0]}`);
}
if (dockerInfo) {
  const missing = [["memory", dockerInfo.MemoryLimit], ["swap", dockerInfo.SwapLimit], ["cpu quota", dockerInfo.CPUCfsQuota ?? dockerInfo.CpuCfsQuota],
    ["cpu shares", dockerInfo.CPUShares ?? dockerInfo.CpuShares], ["pids", dockerInfo.PidsLimit]].filter(([, on]) => on !== true).map(([n]) => n);
  if (missing.length) bad("cgroups", `the engine cannot limit ${missing.join(", ")} (cgroup v${dockerInfo.CgroupVersion}): enable those cgroup controllers (docs/agent.md)`);
  else ok("cgroups", `v${dockerInfo.CgroupVersion} (driver ${dockerInfo.CgroupDriver}): memory, swap, cpu quota, cpu shares and pids limits work`);
}

// Host resources against what the node declares (0: detected). The reserve is taken out of the declared capacity
// (subnodes share capacity - reserve), so the capacity must fit the host and exceed the reserve.
const existing = (path) => (existsSync(path) ? path : existing(dirname(path)));
const fs = statfsSync(existing(dataDir));
const host = {
  "cpu-millicores": [availableParallelism() * 1000, "millicores", "cpu"],
  "memory-mib": [Math.floor(totalmem() / 2 ** 20), "MiB", "memory"],
  "disk-gib": [Math.floor((Number(fs.bavail) * Number(fs.bsize)) / 2 ** 30), `GiB free under ${dataDir}`, "disk"],
};
for (const [name, [has, unit, label]] of Object.entries(host)) {
  const declared = Number(capacity[name]) || has;
  const kept = Number(reserve[name]);
  if (declared > has) bad(label, `${has} ${unit}, less than the declared ${declared}: lower capacity.${name}`);
  else if (declared <= kept) bad(label, `declared ${declared}, not more than the reserve ${kept}: nothing left for subnodes`);
  else ok(label, `${has} ${unit} (declared ${capacity[name] ? declared : `all, ${declared}`}, reserve ${kept})`);
}

// Ports: the node's range and the status API bind on this host (an address of another host cannot be bound).
const statusPort = Number(config.server.port ?? 8080);
const statusAddress = config.server.address ?? "127.0.0.1";
const agentRunning = await fetch(`http://${statusAddress}:${statusPort}/actuator/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
if (agentRunning) {
  ok("ports", `the agent runs (status API on ${statusAddress}:${statusPort}): its ports are in use by it and its subnodes`);
} else {
  const busy = [];
  let unusable;
  for (const [host, port] of [[statusAddress, statusPort], ...Array.from({ length: 128 * 16 }, (_, i) => [ip, basePort + i])]) {
    const problem = await new Promise((resolve) => {
      const server = createServer();
      server.once("error", (e) => resolve(e.code));
      server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
    });
    if (problem === "EADDRINUSE") busy.push(`${host}:${port}`);
    else if (problem) {
      unusable = `${host}:${port}: ${problem}${problem === "EADDRNOTAVAIL" ? ` (${host} is not an address of this server)` : ""}`;
      break;
    }
  }
  if (unusable) bad("ports", unusable);
  else if (busy.length) bad("ports", `in use: ${busy.slice(0, 5).join(", ")}${busy.length > 5 ? ` and ${busy.length - 5} more` : ""}`);
  else ok("ports", `${ip}:${basePort}-${basePort + 128 * 16 - 1} and the status API ${statusAddress}:${statusPort} are free (open the range to the Internet)`);
}

// Ethereum: the endpoint answers, on the address book's chain, synced; the clock agrees with it.
const rpcUrl = setting("manager-rpc-url");
let book;
try {
  book = JSON.parse(readFileSync(setting("address-book"), "utf8"));
} catch (error) {
  bad("addresses", `address book ${setting("address-book")}: ${error.code === "ENOENT" ? "missing" : error.message}`);
}
let provider;
try {
  const started = Date.now();
  const answer = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify([{ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, { jsonrpc: "2.0", id: 2, method: "eth_syncing", params: [] }]),
    signal: AbortSignal.timeout(10_000) });
  const replies = await answer.json();
  const chainId = Number(BigInt(replies.find((r) => r.id === 1).result));
  const syncing = replies.find((r) => r.id === 2).result;
  const origin = new URL(rpcUrl).origin;
  if (book && chainId !== book.chainId) bad("ethereum", `${origin} is on chain ${chainId}, the address book is for chain ${book.chainId}`);
  else if (syncing) bad("ethereum", `${origin} (chain ${chainId}) is still syncing`);
  else ok("ethereum", `${origin} answers, chain ${chainId}, synced (${Date.now() - started} ms)`);
  const date = answer.headers.get("date");
  if (date) {
    const skew = Math.abs(Date.parse(date) - (started + Date.now()) / 2) / 1000;
    if (skew > MAX_CLOCK_SKEW_S) bad("clock", `${skew.toFixed(1)} s off the endpoint's clock (at most ${MAX_CLOCK_SKEW_S} s): synchronize it (NTP)`);
    else ok("clock", `within ${Math.max(1, Math.ceil(skew))} s of the endpoint's clock${ntp()}`);
  } else {
    const synced = ntp();
    if (synced === " (NTP: no)") bad("clock", "the system clock is not NTP-synchronized (timedatectl); enable systemd-timesyncd or chrony");
    else ok("clock", `the endpoint sends no Date to compare with${synced || " and no NTP status is available"}`);
  }
  provider = new ethers.JsonRpcProvider(rpcUrl, chainId, { staticNetwork: true });
} catch (error) {
  bad("ethereum", `${rpcUrl}: no answer: ${error.message.split("\n")[0]}`);
}

// The address book against the chain: code at every address and the contracts wired to each other.
if (book && provider) {
  try {
    const abiOf = (name) => JSON.parse(readFileSync(join(root, "artifacts/contracts", `${name}.sol`, `${name}.json`), "utf8")).abi;
    const at = (name) => new ethers.Contract(book.contracts[name].address, abiOf(name), provider);
    const problems = [];
    for (const name of ["ValidatorRegistry", "NodeRegistry", "ImageRegistry", "SidechainManager"]) {
      if (!book.contracts?.[name]?.address) problems.push(`${name} missing`);
      else if ((await provider.getCode(book.contracts[name].address)) === "0x") problems.push(`no contract at ${name} ${book.contracts[name].address}`);
    }
    if (!problems.length) {
      const [validators, nodes, images, manager] = ["ValidatorRegistry", "NodeRegistry", "ImageRegistry", "SidechainManager"].map(at);
      // Each question separately: an address of the wrong contract makes its calls revert, which is a finding too.
      const ask = (promise) => promise.catch(() => "(reverted)");
      const same = (a, b) => String(a).toLowerCase() === String(b).toLowerCase();
      if (!same(await ask(manager.nodes()), book.contracts.NodeRegistry.address)) problems.push("SidechainManager.nodes() is not the book's NodeRegistry");
      if (!same(await ask(manager.images()), book.contracts.ImageRegistry.address)) problems.push("SidechainManager.images() is not the book's ImageRegistry");
      if (!same(await ask(nodes.validators()), book.contracts.ValidatorRegistry.address)) problems.push("NodeRegistry.validators() is not the book's ValidatorRegistry");
      if ((await ask(nodes.hasRole(ethers.id("PLACEMENT_ROLE"), book.contracts.SidechainManager.address))) !== true) problems.push("the SidechainManager may not place chains on NodeRegistry");
      if ((await ask(validators.hasRole(ethers.id("NODE_REGISTRY_ROLE"), book.contracts.NodeRegistry.address))) !== true) problems.push("NodeRegistry may not reserve stake");
      if ((await ask(images.latestVersion("subnode"))) === "(reverted)") problems.push("ImageRegistry.latestVersion() does not answer");
    }
    if (problems.length) bad("addresses", `${setting("address-book")}: ${problems.join("; ")}`);
    else ok("addresses", `${setting("address-book")} matches the contracts on chain ${book.chainId}`);
    if (nodeAddress && !problems.length) {
      const id = await at("NodeRegistry").nodeIdOf(nodeAddress);
      const balance = await provider.getBalance(nodeAddress);
      ok("registered", id === 0n ? `not yet: ./flotilla node register (the node key has ${ethers.formatEther(balance)} ETH for gas)`
        : `node ${id}, ${ethers.formatEther(balance)} ETH for gas`);
    }
  } catch (error) {
    bad("addresses", `${setting("address-book")}: ${error.shortMessage ?? error.message.split("\n")[0]}`);
  }
  provider.destroy();
}

function ntp() {
  try {
    const synced = execFileSync("timedatectl", ["show", "-p", "NTPSynchronized", "--value"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return synced === "yes" ? " (NTP: synchronized)" : synced === "no" ? " (NTP: no)" : "";
  } catch {
    return "";
  }
}

console.log(failures ? `node check: ${failures} problem(s)` : "node check: ready");
process.exit(failures ? 1 : 0);
