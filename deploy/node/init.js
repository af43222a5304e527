// `./flotilla node init`: writes a validator node's configuration, <dir>/agent.yml (default /etc/flotilla), its node
// key (<dir>/node-key.json, an encrypted V3 keystore, and <dir>/node-key.password, both 0600) and a copy of the
// address book of the endpoint's chain (<dir>/addresses-<chainId>.json). It asks only what it cannot know: the
// Ethereum endpoint, the node's public IPv4 and the capacity to declare (detected; the operator may only lower it).
// Every question has a flag, and --non-interactive makes a missing answer an error instead of a question.
//
//   node deploy/node/init.js [--dir D] [--rpc-url U] [--ip A] [--cpu-millicores N] [--memory-mib N] [--disk-gib N]
//                            [--base-port P] [--data-dir D] [--address-book F] [--non-interactive] [--force]
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statfsSync, writeFileSync } from "node:fs";
import { availableParallelism, networkInterfaces, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";
import { renderConfig } from "./config.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const fail = (message) => {
  console.error(`flotilla node init: ${message}`);
  process.exit(1);
};

const FLAGS = ["dir", "rpc-url", "ip", "cpu-millicores", "memory-mib", "disk-gib", "base-port", "data-dir", "address-book"];
const options = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === "--non-interactive" || arg === "--force") {
    options[arg.slice(2)] = true;
  } else if (arg.startsWith("--") && FLAGS.includes(arg.slice(2).split("=")[0])) {
    const [name, inline] = arg.slice(2).split(/=(.*)/s);
    const value = inline ?? argv[++i];
    if (value === undefined) fail(`--${name} needs a value`);
    options[name] = value;
  } else {
    fail(`unknown argument '${arg}' (flags: ${FLAGS.map((f) => `--${f}`).join(" ")} --non-interactive --force)`);
  }
}
const interactive = !options["non-interactive"] && process.stdin.isTTY;
const prompt = interactive ? createInterface({ input: process.stdin, output: process.stderr }) : undefined;

/** The value of flag `name`, else the operator's answer (with a suggested default), else an error. */
async function ask(name, question, suggestion, check) {
  let value = options[name];
  for (;;) {
    if (value === undefined || value === "") {
      if (!prompt) {
        if (suggestion !== undefined) return suggestion;
        fail(`--${name} is required (${question})`);
      }
      value = (await prompt.question(`${question}${suggestion !== undefined ? ` [${suggestion}]` : ""}: `)).trim() || suggestion;
    }
    const problem = value === undefined ? "an answer is needed" : check(value);
    if (!problem) return value;
    if (!prompt || options[name] !== undefined) fail(`--${name}: ${problem}`);
    console.error(`  ${problem}`);
    value = undefined;
  }
}

const dir = resolve(options.dir ?? "/etc/flotilla");
const configFile = join(dir, "agent.yml");
if (existsSync(configFile) && !options.force) fail(`${configFile} exists: keep it, or pass --force to write it anew (the node key is kept)`);

// The endpoint: it must answer, and its chain must have an address book.
const rpcUrl = await ask("rpc-url", "Ethereum JSON-RPC endpoint (the network holding the Flotilla contracts)", undefined,
  (v) => (/^(https?|wss?):\/\//.test(v) ? undefined : `not an http(s) or ws(s) URL: ${v}`));
let chainId;
try {
  const answer = await fetch(rpcUrl, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), signal: AbortSignal.timeout(10_000) });
  chainId = Number(BigInt((await answer.json()).result));
} catch (error) {
  fail(`the endpoint ${new URL(rpcUrl).origin} does not answer eth_chainId: ${error.message}`);
}
const bookSource = resolve(options["address-book"] ?? join(root, "deploy", "deployments", `${chainId}.json`));
let book;
try {
  book = JSON.parse(readFileSync(bookSource, "utf8"));
} catch {
  fail(`no address book for chain ${chainId} at ${bookSource}: get deploy/deployments/${chainId}.json of the network's deployment (or --address-book FILE)`);
}
if (book.chainId !== chainId) fail(`the address book ${bookSource} is for chain ${book.chainId}, the endpoint is on chain ${chainId}`);

// The public IP: subnodes bind to it and peers dial it. Suggested: the first non-loopback IPv4 of the host.
const suggestedIp = Object.values(networkInterfaces()).flat().find((a) => a && a.family === "IPv4" && !a.internal)?.address;
const ip = await ask("ip", "public IPv4 address of this server (peers and dApps connect to it)", options["non-interactive"] ? undefined : suggestedIp,
  (v) => (ethers.isHexString(v) || !/^(\d{1,3})(\.\d{1,3}){3}$/.test(v) || v.split(".").some((o) => Number(o) > 255) || v === "0.0.0.0"
    ? `not a usable IPv4 address: ${v}` : undefined));
/** A setting init does not ask about: its flag, else its default. */
async function flagOr(name, fallback, check) {
  const value = options[name] ?? fallback;
  const problem = check(value);
  if (problem) fail(`--${name}: ${problem}`);
  return value;
}
const basePort = Number(await flagOr("base-port", "20000",
  (v) => (/^\d+$/.test(v) && Number(v) >= 1024 && Number(v) + 128 * 16 <= 65536 ? undefined : `needs 1024 <= port and port + 2048 <= 65536: ${v}`)));
const dataDir = resolve(await flagOr("data-dir", "/var/lib/flotilla", (v) => (v.startsWith("/") ? undefined : `not an absolute path: ${v}`)));

// Capacity: detected, and the operator may declare less (never more: the contracts would send chains the host cannot run).
const existing = (path) => (existsSync(path) ? path : existing(dirname(path)));
const fs = statfsSync(existing(dataDir));
const detected = {
  "cpu-millicores": availableParallelism() * 1000,
  "memory-mib": Math.floor(totalmem() / 2 ** 20),
  "disk-gib": Math.floor((Number(fs.bavail) * Number(fs.bsize)) / 2 ** 30),
};
// The disk offered by default leaves a tenth of the free space to the host (Docker's images, logs, the OS): `node
// check` compares the declared figure with the free space, which moves with everything else the host writes.
const suggested = { ...detected, "disk-gib": Math.max(1, Math.floor(detected["disk-gib"] * 0.9)) };
const capacity = {};
for (const [name, what] of [["cpu-millicores", "CPU to offer, in millicores"], ["memory-mib", "memory to offer, in MiB"], ["disk-gib", "disk to offer, in GiB"]]) {
  capacity[name] = Number(await ask(name, `${what} (detected ${detected[name]}; you may lower it)`, String(suggested[name]),
    (v) => (!/^\d+$/.test(v) || Number(v) <= 0 ? `not a positive whole number: ${v}`
      : Number(v) > detected[name] ? `${v} is more than this host has (${detected[name]}): the capacity can only be lowered` : undefined)));
}
prompt?.close();

// The node key: kept when it exists (a rewrite of the config must not change the node's identity).
mkdirSync(dir, { recursive: true, mode: 0o750 });
const keystore = join(dir, "node-key.json");
const passwordFile = join(dir, "node-key.password");
let address;
if (existsSync(keystore)) {
  address = ethers.getAddress(JSON.parse(readFileSync(keystore, "utf8")).address);
  console.log(`kept the node key ${address} (${keystore})`);
} else {
  const password = existsSync(passwordFile) ? readFileSync(passwordFile, "utf8").trim() : ethers.hexlify(ethers.randomBytes(16)).slice(2);
  // Standard V3 scrypt (N = 2^18, as the agent's own keygen): the operator key never leaves the agent (subnodes get a consensus key).
  const wallet = ethers.Wallet.createRandom();
  const json = await ethers.encryptKeystoreJson(wallet, password, { scrypt: { N: 262144, r: 8, p: 1 } });
  writeFileSync(passwordFile, password + "\n", { mode: 0o600 });
  writeFileSync(`${keystore}.tmp`, json, { mode: 0o600 });
  renameSync(`${keystore}.tmp`, keystore);
  address = wallet.address;
  console.log(`new node key ${address} written to ${keystore}`);
}
chmodSync(keystore, 0o600);
chmodSync(passwordFile, 0o600);

const bookCopy = join(dir, `addresses-${chainId}.json`);
if (resolve(bookSource) !== bookCopy) copyFileSync(bookSource, bookCopy);
const text = renderConfig({
  "manager-rpc-url": rpcUrl, "address-book": bookCopy, keystore, "password-file": passwordFile, ip, "base-port": basePort,
  capacity, "data-dir": dataDir,
});
writeFileSync(`${configFile}.tmp`, text, { mode: 0o640 });
renameSync(`${configFile}.tmp`, configFile);
console.log(`wrote ${configFile} (chain ${chainId}, ip ${ip}, ports ${basePort}-${basePort + 128 * 16 - 1}, ` +
  `${capacity["cpu-millicores"]} millicores, ${capacity["memory-mib"]} MiB, ${capacity["disk-gib"]} GiB)`);
console.log("next: ./flotilla node check, then ./flotilla node register --name NAME --validator-keystore ... and ./flotilla node install-service");
console.log(JSON.stringify({ config: configFile, nodeAddress: address, chainId }));
