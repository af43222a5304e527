// A devnet-like network for the browser test, all on loopback addresses of its own: a Hardhat node process, the
// manager contracts deployed by deploy/deploy.js (address book in a temporary folder), validators and nodes
// registered with ethers as `devnet up` does, and for a chain the real sidechain program (io.flotilla.chain.node.Main
// of java/chain, one process per member, configured as the agent configures a subnode: docs/agent.md).
import { spawn, execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { HDNodeWallet, JsonRpcProvider, Contract, Wallet, encryptKeystoreJsonSync, getBytes, id, parseEther, NonceManager } from "ethers";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MNEMONIC = "test test test test test test test test test test test junk";
export const account = (i) => HDNodeWallet.fromPhrase(MNEMONIC, undefined, `m/44'/60'/0'/0/${i}`);
/** Hardhat account 19, the devnet's developer (public key: development only). */
export const DEVELOPER_KEY = account(19).privateKey;

const artifact = (name) => JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", `${name}.sol`, `${name}.json`), "utf8")).abi;

async function rpcAnswers(url) {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }), signal: AbortSignal.timeout(2000) });
    return (await res.json()).result !== undefined;
  } catch {
    return false;
  }
}

export async function waitFor(what, check, timeoutMs = 60_000, everyMs = 500) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Processes started here, each the leader of its own process group, stopped by `stopAll`. */
export class Processes {
  list = [];

  start(command, args, options) {
    const child = spawn(command, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (d) => {
      output = (output + d).slice(-8000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const entry = { child, output: () => output, name: `${command} ${args.join(" ")}`.slice(0, 120) };
    this.list.push(entry);
    return entry;
  }

  async stopAll() {
    for (const { child } of this.list) {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {
          // already gone
        }
      }
    }
    const until = Date.now() + 15_000;
    for (const { child } of this.list) {
      while (child.exitCode === null && child.signalCode === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    }
    this.list = [];
  }
}

/** Starts a Hardhat node on 127.0.0.1:`port`; resolves to its URL. */
export async function startEthereum(processes, port) {
  const url = `http://127.0.0.1:${port}`;
  if (await rpcAnswers(url)) throw new Error(`something already answers on ${url}`);
  const node = processes.start(join(ROOT, "node_modules", ".bin", "hardhat"), ["node", "--hostname", "127.0.0.1", "--port", String(port)], { cwd: ROOT });
  await waitFor(`the Hardhat node on ${url}`, async () => {
    if (node.child.exitCode !== null) throw new Error(`the Hardhat node stopped: ${node.output()}`);
    return rpcAnswers(url);
  }, 60_000);
  return url;
}

/** Deploys the contracts with deploy/deploy.js and publishes image `version`; resolves to the address book's path. */
export async function deploy(rpc, dir, version, digest) {
  mkdirSync(dir, { recursive: true });
  await promisify(execFile)(join(ROOT, "node_modules", ".bin", "hardhat"), ["run", "deploy/deploy.js", "--network", "localhost"], {
    cwd: ROOT, env: { ...process.env, FLOTILLA_RPC_URL: rpc, FLOTILLA_ADDRESS_BOOK_DIR: dir, FLOTILLA_SUBNODE_VERSION: version, FLOTILLA_SUBNODE_DIGEST: digest },
    maxBuffer: 1 << 24,
  });
  const book = readdirSync(dir).find((f) => /^\d+\.json$/.test(f));
  if (!book) throw new Error(`deploy.js wrote no address book into ${dir}`);
  return join(dir, book);
}

export function contracts(rpc, bookFile) {
  const book = JSON.parse(readFileSync(bookFile, "utf8"));
  // No request cache: a signer sends its transactions back to back (automine), each asking for its nonce.
  const provider = new JsonRpcProvider(rpc, book.chainId, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 200 });
  const at = (name) => new Contract(book.contracts[name].address, artifact(name), provider);
  return { provider, book, manager: at("SidechainManager"), nodes: at("NodeRegistry"), validators: at("ValidatorRegistry"), images: at("ImageRegistry") };
}

/**
 * Registers `count` validators (Hardhat accounts 1..count, 2 ETH stake each) and one node each on `ipBase`+i with
 * `basePort`, declaring 16 cores, 8 GiB and 100 GiB like the devnet's nodes; resolves to the node wallets.
 */
export async function registerNodes(c, count, ipBase, basePort) {
  const funder = new NonceManager(account(0).connect(c.provider));
  const nodes = [];
  const [a, b, x, last] = ipBase.split(".").map(Number);
  for (let i = 1; i <= count; i++) {
    const validator = account(i).connect(c.provider);
    await (await c.validators.connect(validator).registerValidator(`validator-${i}`, 500, { value: parseEther("2") })).wait();
    const validatorId = await c.validators.validatorIdOf(validator.address);
    const node = new Wallet(id(`flotilla-dashboard-test-node-${i}`), c.provider);
    await (await funder.sendTransaction({ to: node.address, value: parseEther("1") })).wait();
    const signature = await node.signMessage(getBytes(await c.validators.linkMessage(validatorId)));
    await (await c.validators.connect(validator).linkNodeAddress(node.address, signature)).wait();
    const ip = [a, b, x, last + i - 1];
    await (await c.nodes.connect(node).createNode({
      name: `web-node-${i}`, ip: "0x" + ip.map((v) => v.toString(16).padStart(2, "0")).join(""), basePort,
      publicKey: "0x" + node.signingKey.publicKey.slice(4), domain: "",
      capacity: { cpuMillicores: 16000, memoryMiB: 8192, diskGiB: 100 },
    })).wait();
    nodes.push({ wallet: node, id: Number(await c.nodes.nodeIdOf(node.address)), ip: ip.join(".") });
  }
  return nodes;
}

/** The chain jar and its runtime classpath, built by `./flotilla test` (mvn package + dependency:build-classpath). */
export function chainClasspath() {
  const target = join(ROOT, "java", "chain", "target");
  const jar = existsSync(target) && readdirSync(target).find((f) => /^flotilla-chain-.*\.jar$/.test(f) && !/sources|tests/.test(f));
  const cp = join(target, "runtime.classpath");
  if (!jar || !existsSync(cp)) {
    throw new Error("java/chain is not built: mvn -pl java/evm,java/subnode-config,java/chain -DskipTests package dependency:build-classpath " +
      "-DincludeScope=runtime -Dmdep.outputFile=target/runtime.classpath (./flotilla test does it)");
  }
  return `${join(target, jar)}:${readFileSync(cp, "utf8").trim()}`;
}

/**
 * Runs chain `chainId` as the agents would: one sidechain process per member, each with its node's key (a V3
 * keystore), its ports from the member view (first port + 0..4), the owner funded at genesis with 1,000,000 ETH.
 */
export async function startChain(processes, c, chainId, nodeWallets, dir) {
  const [chain, members] = await Promise.all([c.manager.getChain(chainId), c.manager.membersOf(chainId)]);
  const ipOf = (b4) => [2, 4, 6, 8].map((i) => parseInt(b4.slice(i, i + 2), 16)).join(".");
  const portsOf = (first) => ({ consensus: first, catchUp: first + 1, rpcHttp: first + 2, rpcWs: first + 3, metrics: first + 4 });
  const config = {
    chainId: Number(chainId), chainName: chain.name, evmChainId: 0x464c0000 + Number(chainId),
    members: members.map((m) => ({ nodeId: Number(m.nodeId), address: m.nodeAddress.toLowerCase(), ip: ipOf(m.ip), ports: portsOf(Number(m.firstPort)), publicKey: m.publicKey })),
    consensus: { engine: "bft", blockTimeMs: 1000, heartbeatMs: 30000 },
    genesis: { alloc: { [chain.owner.toLowerCase()]: "1000000000000000000000000" }, gasLimit: 30000000, minGasPriceWei: "1000000000", owner: chain.owner.toLowerCase() },
    image: { id: `sha256:${chain.imageDigest.slice(2)}`, version: chain.imageVersion },
  };
  const java = join(process.env.JAVA_HOME ?? "/usr/lib/jvm/temurin-25-jdk-amd64", "bin", "java");
  const classpath = chainClasspath();
  const urls = [];
  for (const m of members) {
    const wallet = nodeWallets.find((n) => n.id === Number(m.nodeId)).wallet;
    const home = join(dir, `member-${m.nodeId}`);
    mkdirSync(join(home, "data"), { recursive: true });
    writeFileSync(join(home, "key.json"), encryptKeystoreJsonSync({ address: wallet.address, privateKey: wallet.privateKey }, "dashboard-test", { scrypt: { N: 1024 } }), { mode: 0o600 });
    writeFileSync(join(home, "key.password"), "dashboard-test", { mode: 0o600 });
    const own = config.members.find((x) => x.nodeId === Number(m.nodeId));
    writeFileSync(join(home, "config.json"), JSON.stringify({
      ...config, nodeId: Number(m.nodeId), slot: Number(m.slot), bindIp: own.ip, ports: own.ports,
      keyFile: join(home, "key.json"), passwordFile: join(home, "key.password"), dataDir: join(home, "data"),
    }, null, 2));
    processes.start(java, ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx160m", "-Xss2m", "--enable-native-access=ALL-UNNAMED",
      "-cp", classpath, "io.flotilla.chain.node.Main", join(home, "config.json")], { cwd: home });
    urls.push(`http://${own.ip}:${own.ports.rpcHttp}`);
  }
  return urls;
}
