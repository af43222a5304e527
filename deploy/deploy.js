// Deploys the manager contracts to the network Hardhat is pointed at (default: the local node at
// http://127.0.0.1:8545, see hardhat.config.js) and writes the address book
// deploy/deployments/<chainId>.json that the agent and the launcher read.
//
//   npx hardhat run deploy/deploy.js --network localhost
//
// Optional environment: FLOTILLA_SUBNODE_VERSION and FLOTILLA_SUBNODE_DIGEST publish a first subnode image;
// FLOTILLA_ADDRESS_BOOK_DIR writes the address book elsewhere (default deploy/deployments).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";
import { deployFlotilla } from "./flotilla.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");

const { ethers } = await network.getOrCreate();
const [admin] = await ethers.getSigners();
const { chainId } = await ethers.provider.getNetwork();
const contracts = await deployFlotilla(ethers, admin);

const version = process.env.FLOTILLA_SUBNODE_VERSION;
const digest = process.env.FLOTILLA_SUBNODE_DIGEST;
if (version && digest) {
  await (await contracts.images.publish(version, digest, "subnode")).wait();
}

const book = {
  chainId: Number(chainId),
  deployedAt: new Date().toISOString(),
  admin: await admin.getAddress(),
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
