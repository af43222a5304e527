// Submits the sources of every contract a deployment created (the implementations, the ERC-1967 proxies and the
// timelocks, listed under "verification" in deploy/deployments/<chainId>.json) to the block explorers, with
// hardhat-verify: Etherscan (ETHERSCAN_API_KEY, environment or hardhat-keystore) and Sourcify (no key).
//
//   ./flotilla verify --network sepolia        (./flotilla deploy --verify does the same right after deploying)
//
// A contract already verified counts as done; a failure is reported per contract and the exit status is 1.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import hre, { network } from "hardhat";
import { verifyContract } from "@nomicfoundation/hardhat-verify/verify";

const here = dirname(fileURLToPath(import.meta.url));
const fail = (message) => {
  console.error(`flotilla verify: ${message}`);
  process.exit(1);
};
const { ethers } = await network.create();
const { chainId } = await ethers.provider.getNetwork().catch((e) => fail(`the endpoint does not answer: ${e.shortMessage ?? e.message.split("\n")[0]}`));
const file = join(process.env.FLOTILLA_ADDRESS_BOOK_DIR ?? join(here, "deployments"), `${chainId}.json`);
let book;
try {
  book = JSON.parse(readFileSync(file, "utf8"));
} catch {
  fail(`no address book ${file} for chain ${chainId}: deploy first`);
}
if (!Array.isArray(book.verification)) fail(`${file} lists no contracts to verify (written by a devnet deployment?)`);
const providers = [];
try {
  await hre.config.verify.etherscan.apiKey.get();
  providers.push("etherscan");
} catch {
  console.error("flotilla verify: ETHERSCAN_API_KEY is not set: Etherscan skipped (Sourcify only)");
}
providers.push("sourcify");
let failed = 0;
for (const entry of book.verification) {
  for (const provider of providers) {
    try {
      await verifyContract({ address: entry.address, constructorArgs: entry.constructorArgs, contract: entry.contract,
        provider, ...(provider === "sourcify" ? { creationTxHash: entry.creationTxHash } : {}) }, hre);
      console.log(`ok    ${provider.padEnd(9)} ${entry.contract.split(":")[1]} ${entry.address}`);
    } catch (error) {
      if (/already verified/i.test(error.message)) {
        console.log(`ok    ${provider.padEnd(9)} ${entry.contract.split(":")[1]} ${entry.address} (already verified)`);
      } else {
        failed++;
        console.log(`FAIL  ${provider.padEnd(9)} ${entry.contract.split(":")[1]} ${entry.address}: ${error.message.split("\n")[0]}`);
      }
    }
  }
}
if (failed) fail(`${failed} verification(s) failed (listed above); rerun ./flotilla verify --network ${hre.globalOptions.network} to retry`);
