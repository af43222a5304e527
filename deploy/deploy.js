// Deploys the manager contracts to the network Hardhat is pointed at (default: the local node at
// http://127.0.0.1:8545, see hardhat.config.js) and writes the address book
// deploy/deployments/<chainId>.json that the agent and the launcher read.
//
//   ./flotilla deploy [--network NAME] [--dry-run] [--yes] [--replace] [--verify]
//   (or: npx hardhat run deploy/deploy.js --network NAME, with the FLOTILLA_DEPLOY_* variables below)
//
// Optional environment: FLOTILLA_SUBNODE_VERSION and FLOTILLA_SUBNODE_DIGEST publish a first subnode image;
// FLOTILLA_ADDRESS_BOOK_DIR writes the address book elsewhere (default deploy/deployments).
//
// Roles (see docs/contracts.md): FLOTILLA_ADMIN, FLOTILLA_UPGRADER, FLOTILLA_TREASURER, FLOTILLA_PUBLISHER and
// FLOTILLA_COMPLIANCE name the holder of each; on any network but the local devnet (chain id 31337) all five
// are required and must be distinct, and admin and upgrader act through TimelockControllers
// (FLOTILLA_ADMIN_DELAY, default 2 days; FLOTILLA_UPGRADE_DELAY, default the unbonding delay + 1 day). On the
// devnet they default to the deploying account, without timelock (FLOTILLA_TIMELOCK=1 forces the timelocks).
//
// On any network but the devnet the deployment is first played on an in-process chain with the target's chain id
// (the "rehearsal": same code, same transactions), which gives the plan and the gas of every transaction; the
// cost is that gas at the endpoint's current fee. FLOTILLA_DEPLOY_DRY_RUN=1 stops there and sends nothing. Else a
// deployer whose balance does not cover the cost is refused before the first transaction, and on a public chain
// (any chain id but 31337) the deployment needs a confirmation: a "yes" on the terminal or FLOTILLA_DEPLOY_YES=1.
// The deployer key (NAME_DEPLOYER_KEY, environment or hardhat-keystore) is refused on a public chain when it is one
// of the well-known development keys or appears in any file of this checkout. An existing address book of a public
// chain is kept unless FLOTILLA_DEPLOY_REPLACE=1, which renames it to <chainId>-<its deployedAt>.json.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import hre, { network } from "hardhat";
import { assignRoles, defaultSettings, deployFlotilla, record } from "./flotilla.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const DEVNET_CHAIN_ID = 31337n;
const ROLE_NAMES = ["admin", "upgrader", "treasurer", "publisher", "compliance"];
const CONTRACT_NAMES = { validators: "ValidatorRegistry", nodes: "NodeRegistry", images: "ImageRegistry", manager: "SidechainManager" };
const DAY = 24 * 3600;
const env = process.env;

/** One line on stderr, exit 1: what the operator must fix. Nothing was sent when this is called before the deployment. */
function fail(message) {
  console.error(`flotilla deploy: ${message}`);
  process.exit(1);
}

const networkName = hre.globalOptions.network ?? "default";
const networkConfig = hre.config.networks[networkName];
if (!networkConfig) fail(`no network '${networkName}' in hardhat.config.js`);

// The endpoint and the key, resolved first so that a missing one is named before anything else happens.
async function resolve(variable) {
  if (typeof variable?.get !== "function") return variable;
  try {
    return await variable.get();
  } catch (error) {
    const name = /(?:Variable|Key) "([^"]+)"/.exec(error.message)?.[1];
    fail(name
      ? `${name} is not set: export it or store it with \`npx hardhat keystore set ${name}\` (network ${networkName})`
      : error.message.split("\n")[0]);
  }
}
let keys = [];
if (networkConfig.type === "http") {
  await resolve(networkConfig.url);
  if (Array.isArray(networkConfig.accounts)) {
    for (const account of networkConfig.accounts) keys.push(await resolve(account));
  }
}

const connection = await network.create();
const { ethers } = connection;
let chainId;
try {
  chainId = (await ethers.provider.getNetwork()).chainId;
} catch (error) {
  fail(`the endpoint of network ${networkName} does not answer: ${error.shortMessage ?? error.message.split("\n")[0]}`);
}
if (networkConfig.chainId !== undefined && BigInt(networkConfig.chainId) !== chainId) {
  fail(`the endpoint of network ${networkName} is on chain ${chainId}, not ${networkConfig.chainId}: refusing to deploy to another network`);
}
const publicChain = chainId !== DEVNET_CHAIN_ID;
// FLOTILLA_TIMELOCK=1 deploys on the devnet exactly as on a real network (roles required, timelocks).
const devnet = !publicChain && env.FLOTILLA_TIMELOCK !== "1";
const dryRun = env.FLOTILLA_DEPLOY_DRY_RUN === "1";
if (devnet && dryRun) fail("--dry-run is for a real network (the devnet deploys in a second)");

const [deployer] = await ethers.getSigners();
if (!deployer) fail(`network ${networkName} has no deployer account: set ${networkName.toUpperCase()}_DEPLOYER_KEY`);
const deployerAddress = await deployer.getAddress();
const deployerKey = keys[0];
if (publicChain) {
  if (deployerKey === undefined) fail(`network ${networkName} takes its deployer key from the endpoint: name one in hardhat.config.js (accounts: [configVariable(...)])`);
  checkKey(deployerKey);
}

// Role holders.
const roles = Object.fromEntries(
  ROLE_NAMES.map((r) => [r, env[`FLOTILLA_${r.toUpperCase()}`]]).filter(([, a]) => a),
);
for (const [role, address] of Object.entries(roles)) {
  if (!ethers.isAddress(address)) fail(`FLOTILLA_${role.toUpperCase()}: not an address: ${address}`);
}
if (!devnet) {
  const missing = ROLE_NAMES.filter((r) => !roles[r]);
  if (missing.length) fail(`chain ${chainId} (not the devnet): set ${missing.map((r) => `FLOTILLA_${r.toUpperCase()}`).join(", ")}`);
  const distinct = new Set(Object.values(roles).map((a) => a.toLowerCase()));
  if (distinct.size !== ROLE_NAMES.length) fail("admin, upgrader, treasurer, publisher and compliance must be five distinct addresses");
  if (distinct.has(deployerAddress.toLowerCase())) {
    fail(`the deployer ${deployerAddress} is also a role holder: on a real network the deployer's key holds no role (use another key to deploy)`);
  }
}
const settings = defaultSettings(ethers);
const timelock = devnet
  ? undefined
  : {
      adminDelay: positiveSeconds("FLOTILLA_ADMIN_DELAY", 2 * DAY),
      upgradeDelay: positiveSeconds("FLOTILLA_UPGRADE_DELAY", settings.unbondingDelay + DAY),
    };
if (timelock && !(timelock.upgradeDelay > settings.unbondingDelay)) {
  fail(`FLOTILLA_UPGRADE_DELAY (${timelock.upgradeDelay} s) must exceed the unbonding delay (${settings.unbondingDelay} s)`);
}
const image = env.FLOTILLA_SUBNODE_VERSION && env.FLOTILLA_SUBNODE_DIGEST
  ? { version: env.FLOTILLA_SUBNODE_VERSION, digest: env.FLOTILLA_SUBNODE_DIGEST }
  : undefined;
if (image && !/^0x[0-9a-fA-F]{64}$/.test(image.digest)) fail(`FLOTILLA_SUBNODE_DIGEST: not a sha256 digest (0x and 64 hex digits): ${image.digest}`);

const bookDir = env.FLOTILLA_ADDRESS_BOOK_DIR ?? join(here, "deployments");
const bookFile = join(bookDir, `${chainId}.json`);
if (publicChain && existsSync(bookFile) && env.FLOTILLA_DEPLOY_REPLACE !== "1" && !dryRun) {
  fail(`${relative(root, bookFile)} exists (a deployment on chain ${chainId} is recorded): keep it, or pass --replace to deploy anew and archive it`);
}

/** The whole deployment with `signer` on `eth`: the same steps on the rehearsal chain and on the target. */
async function deployAll(eth, signer, journal) {
  const contracts = await deployFlotilla(eth, signer, settings, journal);
  if (image) {
    const tx = await contracts.images.publish(image.version, image.digest, "subnode");
    await tx.wait();
    await record(journal, `ImageRegistry: publish subnode ${image.version}`, tx);
  }
  const assigned = await assignRoles(eth, signer, contracts, roles, timelock, settings.unbondingDelay, journal);
  return { contracts, assigned };
}

if (devnet) {
  const { contracts, assigned } = await deployAll(ethers, deployer, undefined);
  const single = new Set(ROLE_NAMES.map((r) => assigned[r])).size === 1;
  console.error("*".repeat(100));
  console.error(`* DEVNET ROLES: ${single ? `one account, ${assigned.admin}, holds every role (admin, upgrader, treasurer, publisher, compliance)` : "roles as given"}`);
  console.error("* and upgrades and parameter changes take effect at once (no timelock). Never deploy like this on a real network.");
  console.error("*".repeat(100));
  await writeBook(contracts, assigned, undefined);
  process.exit(0);
}

// The rehearsal: the same deployment on an in-process chain with the target's chain id, the deployer funded there.
const rehearsalKey = deployerKey ?? ethers.Wallet.createRandom().privateKey;
const rehearsal = await network.create({
  network: "deployRehearsal",
  override: { chainId: Number(chainId), accounts: [{ privateKey: rehearsalKey, balance: (10n ** 24n).toString() }] },
});
const plan = [];
try {
  const [rehearsalSigner] = await rehearsal.ethers.getSigners();
  await deployAll(rehearsal.ethers, rehearsalSigner, plan);
} catch (error) {
  fail(`the rehearsal of the deployment failed, nothing was sent: ${error.shortMessage ?? error.message.split("\n")[0]}`);
} finally {
  await rehearsal.close?.();
}
const totalGas = plan.reduce((sum, s) => sum + s.gasUsed, 0n);
const fees = await ethers.provider.getFeeData();
const feePerGas = fees.maxFeePerGas ?? fees.gasPrice ?? 0n;
const cost = totalGas * feePerGas;
const balance = await ethers.provider.getBalance(deployerAddress);
const nonce = await ethers.provider.getTransactionCount(deployerAddress, "pending");
const endpoint = typeof networkConfig.url?.get === "function" ? await networkConfig.url.get() : networkConfig.url;
const shown = (() => {
  try {
    return new URL(endpoint).origin; // the path and query of a provider URL often carry its API key
  } catch {
    return "(endpoint)";
  }
})();

console.log(`Deployment plan for network ${networkName} (chain ${chainId}, ${shown})${dryRun ? ": DRY RUN, nothing is sent" : ""}`);
console.log(`  deployer   ${deployerAddress}  balance ${ethers.formatEther(balance)} ETH, next nonce ${nonce}`);
for (const r of ROLE_NAMES) console.log(`  ${r.padEnd(10)} ${roles[r]}`);
console.log(`  timelocks  admin delay ${timelock.adminDelay} s, upgrade delay ${timelock.upgradeDelay} s (unbonding delay ${settings.unbondingDelay} s)`);
plan.forEach((s, i) => console.log(`  ${String(i + 1).padStart(2)}. ${s.step.padEnd(74)} ${s.gasUsed.toLocaleString("en-US").padStart(10)} gas`));
console.log(`  total      ${plan.length} transactions, ${totalGas.toLocaleString("en-US")} gas; at ${ethers.formatUnits(feePerGas, "gwei")} gwei (the endpoint's max fee now): ${ethers.formatEther(cost)} ETH`);
const summary = {
  dryRun, network: networkName, chainId: Number(chainId), deployer: deployerAddress, transactions: plan.length,
  gas: totalGas.toString(), maxFeePerGas: feePerGas.toString(), costWei: cost.toString(), balanceWei: balance.toString(),
};
if (balance < cost) console.log(`  balance    too low: fund the deployer with ${ethers.formatEther(cost - balance)} ETH more before deploying`);
if (dryRun) {
  console.log(JSON.stringify({ plan: summary }));
  process.exit(0);
}
if (balance < cost) {
  fail(`the deployer ${deployerAddress} has ${ethers.formatEther(balance)} ETH, the deployment needs about ${ethers.formatEther(cost)} ETH at the current fee: fund it first (nothing was sent)`);
}
if (publicChain && env.FLOTILLA_DEPLOY_YES !== "1") {
  if (!process.stdin.isTTY) fail("deploying to a public network needs a confirmation: rerun with --yes (nothing was sent)");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await prompt.question(`Deploy to ${networkName} (chain ${chainId}) from ${deployerAddress}, about ${ethers.formatEther(cost)} ETH? Type yes: `);
  prompt.close();
  if (answer.trim() !== "yes") fail("not confirmed: nothing was sent");
}

const journal = [];
let deployed;
try {
  deployed = await deployAll(ethers, deployer, journal);
} catch (error) {
  // What was sent stays on chain: list it, so the operator knows what the failed attempt cost and left behind.
  for (const s of journal) console.error(`  sent: ${s.step} ${s.hash}`);
  fail(`the deployment failed after ${journal.length} of ${plan.length} transactions (listed above; no address book written): ${error.shortMessage ?? error.message.split("\n")[0]}`);
}
const used = journal.reduce((sum, s) => sum + s.gasUsed, 0n);
console.log(`  deployed   ${journal.length} transactions, ${used.toLocaleString("en-US")} gas (the rehearsal said ${totalGas.toLocaleString("en-US")})`);
await writeBook(deployed.contracts, deployed.assigned, journal);
console.log(JSON.stringify({ deployed: { ...summary, gas: used.toString() } }));

/** Writes the address book (to a temporary file first, so a reader never sees half of one). */
async function writeBook(contracts, assigned, journal) {
  // The block that ends the deployment: its hash goes into the network identity (docs/agent.md, "Network identity"),
  // which tells apart two deployments with equal addresses (same deployer and nonces, e.g. two Hardhat devnets).
  const deployedIn = await ethers.provider.getBlock("latest");
  const book = {
    chainId: Number(chainId),
    network: networkName,
    deployedAt: new Date().toISOString(),
    deployment: { blockNumber: deployedIn.number, blockHash: deployedIn.hash },
    deployer: deployerAddress,
    admin: assigned.admin,
    roles: Object.fromEntries(ROLE_NAMES.map((r) => [r, assigned[r]])),
    timelocks: assigned.timelocks,
    contracts: {},
  };
  for (const [key, contract] of Object.entries(contracts)) {
    const name = CONTRACT_NAMES[key];
    book.contracts[name] = {
      address: await contract.getAddress(),
      abi: relative(root, join(root, "artifacts", "contracts", `${name}.sol`, `${name}.json`)),
    };
  }
  if (journal) {
    book.blockNumber = Number((await ethers.provider.getTransactionReceipt(journal[0].hash)).blockNumber);
    book.transactions = journal.map((s) => ({ step: s.step, hash: s.hash, gasUsed: Number(s.gasUsed) }));
    // What `./flotilla verify` submits to the explorers: every contract created, with its constructor arguments.
    book.verification = journal.filter((s) => s.verify).map((s) => ({ ...s.verify, creationTxHash: s.hash }));
  }
  mkdirSync(dirname(bookFile), { recursive: true });
  if (existsSync(bookFile) && publicChain) {
    const previous = JSON.parse(readFileSync(bookFile, "utf8"));
    const archived = join(dirname(bookFile), `${chainId}-${String(previous.deployedAt ?? Date.now()).replace(/[:.]/g, "-")}.json`);
    renameSync(bookFile, archived);
    console.error(`flotilla deploy: the previous address book is kept as ${relative(root, archived)}`);
  }
  const temporary = `${bookFile}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(book, null, 2) + "\n");
  renameSync(temporary, bookFile);
  console.log(JSON.stringify({ addressBook: relative(root, bookFile), ...Object.fromEntries(Object.entries(book.contracts).map(([n, c]) => [n, c.address])) }));
}

function positiveSeconds(variable, fallback) {
  const value = env[variable];
  if (value === undefined || value === "") return fallback;
  if (!/^[0-9]+$/.test(value) || Number(value) <= 0) fail(`${variable}: not a positive number of seconds: ${value}`);
  return Number(value);
}

/**
 * Refuses a deployer key anyone else may hold: the development accounts every Ethereum toolkit derives from the
 * public mnemonic "test test ... junk" (Hardhat, Anvil), and any key written in a file of this checkout (a key in
 * a repository ends up in a commit, a backup or a screenshot).
 */
function checkKey(key) {
  const hex = String(key).toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{64}$/.test(hex)) fail(`the deployer key of network ${networkName} is not 32 bytes of hex`);
  const development = ethers.Mnemonic.fromPhrase("test test test test test test test test test test test junk");
  for (let i = 0; i < 20; i++) {
    if (ethers.HDNodeWallet.fromMnemonic(development, `m/44'/60'/0'/0/${i}`).privateKey.slice(2) === hex) {
      fail(`the deployer key is development account ${i} (public mnemonic "test test ... junk"): anyone can spend from it; use a key of your own`);
    }
  }
  const found = fileContaining(root, hex);
  if (found) fail(`the deployer key is written in ${relative(root, found)}, a file of this checkout: keep it in the environment or the hardhat-keystore, never in the repository`);
}

/** The first file under `dir` (skipping installed and generated folders) whose text contains `hex`, any case. */
function fileContaining(dir, hex) {
  const skip = new Set(["node_modules", ".git", "artifacts", "cache", "target", "types", "typechain-types", "coverage"]);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (skip.has(entry.name)) continue;
      const found = fileContaining(path, hex);
      if (found) return found;
    } else if (entry.isFile() && statSync(path).size <= 4 * 1024 * 1024) {
      if (readFileSync(path, "latin1").toLowerCase().includes(hex)) return path;
    }
  }
  return undefined;
}
