// Deploys the sample contract (contracts/samples/Greeter.sol, compiled by Hardhat) to a sidechain with plain ethers,
// then checks that every member serves the block holding it with the same hash. Run by `./flotilla devnet up`:
//
//   node deploy/sample.js --rpc URL[,URL...] --key-file FILE [--chain NAME] [--out FILE]
//
// The first URL receives the transaction; the others are the chain's other members. Prints one line; writes
// {contract, chain, address, txHash, blockNumber, blockHash, greeting} to --out when given.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const options = {};
for (let i = 2; i < process.argv.length; i += 2) {
  options[process.argv[i].replace(/^--/, "")] = process.argv[i + 1];
}
if (!options.rpc || !options["key-file"]) {
  console.error("usage: node deploy/sample.js --rpc URL[,URL...] --key-file FILE [--chain NAME] [--out FILE]");
  process.exit(2);
}
const urls = options.rpc.split(",");
const artifact = JSON.parse(readFileSync(join(root, "artifacts/contracts/samples/Greeter.sol/Greeter.json"), "utf8"));

const provider = new ethers.JsonRpcProvider(urls[0]);
provider.pollingInterval = 250;
const wallet = new ethers.Wallet(readFileSync(options["key-file"], "utf8").trim(), provider);
const factory = new ethers.ContractFactory(artifact.abi, artifact.bytecode, wallet);
const greeter = await factory.deploy("Hello from Flotilla");
const receipt = await greeter.deploymentTransaction().wait(1, 120_000);
const address = await greeter.getAddress();
const greeting = await greeter.greeting();

// Every member must serve the same block: consensus committed it everywhere.
const deadline = Date.now() + 60_000;
for (const url of urls) {
  const member = new ethers.JsonRpcProvider(url, undefined, { staticNetwork: true, batchMaxCount: 1 });
  for (;;) {
    const block = await member.getBlock(receipt.blockNumber).catch(() => null);
    if (block && block.hash === receipt.blockHash) break;
    if (block && block.hash !== receipt.blockHash) {
      throw new Error(`${url} has block ${receipt.blockNumber} = ${block.hash}, not ${receipt.blockHash}`);
    }
    if (Date.now() > deadline) throw new Error(`${url} does not serve block ${receipt.blockNumber} after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  member.destroy();
}
provider.destroy();

const result = {
  contract: "Greeter",
  chain: options.chain ?? null,
  address,
  txHash: receipt.hash,
  blockNumber: receipt.blockNumber,
  blockHash: receipt.blockHash,
  greeting,
};
if (options.out) writeFileSync(options.out, JSON.stringify(result, null, 2) + "\n");
console.log(`  Greeter at ${address} (tx ${receipt.hash}, block ${receipt.blockNumber}, same hash on ${urls.length} members); greeting() = "${greeting}"`);
