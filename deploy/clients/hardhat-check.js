// Hardhat 3 against a running subnode, configured as the `flotilla` network of hardhat.config.js:
//
//   FLOTILLA_CHAIN_RPC_URL=http://127.0.0.1:8545/ FLOTILLA_CHAIN_PRIVATE_KEY=0x... \
//   npx hardhat run --no-compile --network flotilla deploy/clients/hardhat-check.js
//
// Deploys ClientCheck through Hardhat's ethers plugin, sends a transaction, checks receipts, an event and call
// results. Exits 0 when everything matches, 1 with a "FAILED: ..." line otherwise.
import { network } from "hardhat";
import { compileClientCheck } from "./compile.js";

function fail(message) {
  console.error(`hardhat client check FAILED: ${message}`);
  process.exit(1);
}

function equal(actual, expected, what) {
  if (actual !== expected) fail(`${what}: expected ${expected}, got ${actual}`);
}

setTimeout(() => fail("timed out after 90000 ms"), 90_000).unref();

try {
  const connection = await network.getOrCreate(); // the network given with --network
  const { ethers } = connection;
  const [deployer] = await ethers.getSigners();
  if (process.env.FLOTILLA_CHAIN_ID) {
    equal((await ethers.provider.getNetwork()).chainId, BigInt(process.env.FLOTILLA_CHAIN_ID), "chain id");
  }
  const { abi, bytecode } = compileClientCheck();
  const factory = await ethers.getContractFactory(abi, bytecode, deployer);
  const contract = await factory.deploy("hello from hardhat");
  await contract.waitForDeployment();
  const deployReceipt = await contract.deploymentTransaction().wait();
  equal(deployReceipt.status, 1, "deployment status");
  equal(deployReceipt.contractAddress, await contract.getAddress(), "receipt contractAddress");
  equal(await contract.message(), "hello from hardhat", "constructor argument read back");

  const receipt = await (await contract.greet("hardhat was here")).wait();
  equal(receipt.status, 1, "greet status");
  const event = contract.interface.parseLog(receipt.logs[0]);
  equal(event?.name, "Greeted", "event in the receipt");
  equal(event.args.from, deployer.address, "event sender");
  equal(await contract.message(), "hardhat was here", "message after greet");
  equal(await contract.count(), 1n, "count after greet");
  const logs = await contract.queryFilter(contract.filters.Greeted(), receipt.blockNumber, receipt.blockNumber);
  equal(logs.length, 1, "queryFilter results");

  console.log(`hardhat client check ok: ${JSON.stringify({ network: connection.networkName, contract: await contract.getAddress(), block: receipt.blockNumber })}`);
  process.exit(0);
} catch (e) {
  fail(e?.stack ?? String(e));
}
