// Deploys the manager contracts to the network Hardhat is pointed at (default: the local node at
// http://127.0.0.1:8545, see hardhat.config.js) and writes the address book
// deploy/deployments/<chainId>.json that the agent and the launcher read.
//
//   npx hardhat run deploy/deploy.js --network localhost
//
// Optional environment: FLOTILLA_SUBNODE_VERSION and FLOTILLA_SUBNODE_DIGEST publish a first subnode image;
// FLOTILLA_ADDRESS_BOOK_DIR writes the address book elsewhere (default deploy/deployments).
//
// Roles (see docs/contracts.md): FLOTILLA_ADMIN, FLOTILLA_UPGRADER, FLOTILLA_TREASURER, FLOTILLA_PUBLISHER and
// FLOTILLA_COMPLIANCE name the holder of each; on any network but the local devnet (chain id 31337) all five
// are required and must be distinct, and admin and upgrader act through TimelockControllers
// (FLOTILLA_ADMIN_DELAY, default 2 days; FLOTILLA_UPGRADE_DELAY, default the unbonding delay + 1 day). On the
// devnet they default to the deploying account, without timelock (FLOTILLA_TIMELOCK=1 forces the timelocks).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { assignRoles, defaultSettings, deployFlotilla } from "./flotilla.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

const { ethers } = await network.getOrCreate();
const [admin] = await ethers.getSigners();
const { chainId } = await ethers.provider.getNetwork();
const DEVNET_CHAIN_ID = 31337n;
// FLOTILLA_TIMELOCK=1 deploys on the devnet exactly as on a real network (roles required, timelocks).
const devnet = chainId === DEVNET_CHAIN_ID && process.env.FLOTILLA_TIMELOCK !== "1";
const roleNames = ["admin", "upgrader", "treasurer", "publisher", "compliance"];
const roles = Object.fromEntries(
  roleNames.map((r) => [r, process.env[`FLOTILLA_${r.toUpperCase()}`]]).filter(([, a]) => a),
);
for (const [role, address] of Object.entries(roles)) {
  if (!ethers.isAddress(address)) throw new Error(`FLOTILLA_${role.toUpperCase()}: not an address: ${address}`);
}
if (!devnet) {
  const missing = roleNames.filter((r) => !roles[r]);
  if (missing.length) throw new Error(`chain ${chainId} (not the devnet): set ${missing.map((r) => `FLOTILLA_${r.toUpperCase()}`).join(", ")}`);
  const distinct = new Set(Object.values(roles).map((a) => a.toLowerCase()));
  if (distinct.size !== roleNames.length) throw new Error("admin, upgrader, treasurer, publisher and compliance must be five distinct addresses");
}
const settings = defaultSettings(ethers);
const useTimelock = !devnet;
const DAY = 24 * 3600;
const timelock = useTimelock
  ? {
      adminDelay: Number(process.env.FLOTILLA_ADMIN_DELAY ?? 2 * DAY),
      upgradeDelay: Number(process.env.FLOTILLA_UPGRADE_DELAY ?? settings.unbondingDelay + DAY),
    }
  : undefined;
const contracts = await deployFlotilla(ethers, admin, settings);

const version = process.env.FLOTILLA_SUBNODE_VERSION;
const digest = process.env.FLOTILLA_SUBNODE_DIGEST;
if (version && digest) {
  await (await contracts.images.publish(version, digest, "subnode")).wait();
}

const assigned = await assignRoles(ethers, admin, contracts, roles, timelock, settings.unbondingDelay);
if (!useTimelock) {
  const single = new Set(roleNames.map((r) => assigned[r])).size === 1;
  console.error("*".repeat(100));
  console.error(`* DEVNET ROLES: ${single ? `one account, ${assigned.admin}, holds every role (admin, upgrader, treasurer, publisher, compliance)` : "roles as given"}`);
  console.error("* and upgrades and parameter changes take effect at once (no timelock). Never deploy like this on a real network.");
  console.error("*".repeat(100));
}

// The block that ends the deployment: its hash goes into the network identity (docs/agent.md, "Network identity"),
// which tells apart two deployments with equal addresses (same deployer and nonces, e.g. two Hardhat devnets).
const deployedIn = await ethers.provider.getBlock("latest");
const book = {
  chainId: Number(chainId),
  deployedAt: new Date().toISOString(),
  deployment: { blockNumber: deployedIn.number, blockHash: deployedIn.hash },
  admin: assigned.admin,
  roles: Object.fromEntries(roleNames.map((r) => [r, assigned[r]])),
  timelocks: assigned.timelocks,
  contracts: {},
};
for (const [key, contract] of Object.entries(contracts)) {
  const name = { validators: "ValidatorRegistry", nodes: "NodeRegistry", images: "ImageRegistry", manager: "SidechainManager" }[key];
  book.contracts[name] = {
    address: await contract.getAddress(),
    abi: relative(root, join(root, "artifacts", "contracts", `${name}.sol`, `${name}.json`)),
  };
}
const file = join(process.env.FLOTILLA_ADDRESS_BOOK_DIR ?? join(here, "deployments"), `${chainId}.json`);
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(book, null, 2) + "\n");
console.log(JSON.stringify({ addressBook: relative(root, file), ...Object.fromEntries(Object.entries(book.contracts).map(([n, c]) => [n, c.address])) }));
