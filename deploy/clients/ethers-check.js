// ethers v6 against a running subnode: deploy, transactions, receipts, logs, balances, reverts and WebSocket
// subscriptions. Exits 0 when everything matches, 1 with a "FAILED: ..." line otherwise.
//
//   FLOTILLA_CHAIN_RPC_URL=http://127.0.0.1:8545/ FLOTILLA_CHAIN_WS_URL=ws://127.0.0.1:8546/ \
//   FLOTILLA_CHAIN_PRIVATE_KEY=0x... [FLOTILLA_CHAIN_ID=...] node deploy/clients/ethers-check.js
//
// The key must be funded on the chain (e.g. the chain owner's key, prefunded by the genesis).
import {
  ContractFactory,
  Contract,
  JsonRpcProvider,
  Wallet,
  WebSocketProvider,
  formatEther,
  getAddress,
  parseEther,
  parseUnits,
} from "ethers";
import { compileClientCheck } from "./compile.js";

const TIMEOUT_MS = 90_000;

function env(name) {
  const value = process.env[name];
  if (!value) fail(`environment variable ${name} is not set`);
  return value;
}

function fail(message) {
  console.error(`ethers client check FAILED: ${message}`);
  process.exit(1);
}

function check(condition, message) {
  if (!condition) fail(message);
}

function equal(actual, expected, what) {
  check(actual === expected, `${what}: expected ${expected}, got ${actual}`);
}

/** Resolves with the first value `register` hands to its callback, or fails after `ms`. */
function firstEvent(what, ms, register) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => fail(`no ${what} within ${ms} ms`), ms);
    register((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

async function main() {
  const rpcUrl = env("FLOTILLA_CHAIN_RPC_URL");
  const wsUrl = env("FLOTILLA_CHAIN_WS_URL");
  // No 250 ms response cache: balances are compared right after receipts arrive.
  const provider = new JsonRpcProvider(rpcUrl, undefined, { pollingInterval: 200, cacheTimeout: -1 });
  const wallet = new Wallet(env("FLOTILLA_CHAIN_PRIVATE_KEY"), provider);
  const steps = [];

  // -- network, account
  const network = await provider.getNetwork();
  if (process.env.FLOTILLA_CHAIN_ID) equal(network.chainId, BigInt(process.env.FLOTILLA_CHAIN_ID), "chain id");
  const startBalance = await provider.getBalance(wallet.address);
  check(startBalance > parseEther("10"), `the key's account ${wallet.address} is not funded (${formatEther(startBalance)})`);
  for (const tag of ["latest", "pending", "safe", "finalized", "earliest"]) {
    const block = await provider.getBlock(tag);
    check(block !== null, `getBlock("${tag}") returned null`);
  }
  const feeData = await provider.getFeeData();
  check(feeData.gasPrice !== null, "getFeeData has no gasPrice");
  const history = await provider.send("eth_feeHistory", ["0x4", "latest", [10, 50, 90]]);
  check(Array.isArray(history.baseFeePerGas) && Array.isArray(history.reward), "eth_feeHistory shape");
  steps.push("network");

  // -- WebSocket subscriptions, opened before the transactions they must see
  const ws = new WebSocketProvider(wsUrl);
  equal((await ws.getNetwork()).chainId, network.chainId, "chain id over WebSocket");
  const startBlock = await provider.getBlockNumber();
  const newBlock = firstEvent("WebSocket block event", 30_000, (done) =>
    ws.on("block", (n) => {
      if (n > startBlock) done(n);
    }),
  );

  // -- deploy
  const { abi, bytecode } = compileClientCheck();
  const factory = new ContractFactory(abi, bytecode, wallet);
  const contract = await factory.deploy("hello");
  await contract.waitForDeployment();
  const deployReceipt = await contract.deploymentTransaction().wait();
  equal(deployReceipt.status, 1, "deployment status");
  const address = await contract.getAddress();
  equal(getAddress(deployReceipt.contractAddress), address, "receipt contractAddress");
  check((await provider.getCode(address)).length > 2, "no code at the deployed address");
  equal(await contract.message(), "hello", "constructor argument");
  steps.push("deploy");

  // -- a contract event over WebSocket (eth_subscribe "logs" with address and topics)
  const wsContract = new Contract(address, abi, ws);
  const greetedOverWs = firstEvent("WebSocket Greeted event", 30_000, (done) =>
    wsContract.on("Greeted", (from, count, message, payload) => done({ from, count, message, payload })),
  );
  // ... and over HTTP, where ethers' JsonRpcProvider polls a filter (eth_newFilter, eth_getFilterChanges)
  const greetedOverHttp = firstEvent("HTTP (filter) Greeted event", 30_000, (done) =>
    contract.on("Greeted", (from, count, message, payload) => done({ from, count, message, payload })),
  );
  await new Promise((r) => setTimeout(r, 300)); // ethers subscribes asynchronously

  // -- a transaction emitting an event; receipt, parsed logs, queryFilter, getLogs
  const tx = await contract.greet("hi there", { value: parseUnits("1", "gwei") });
  const receipt = await tx.wait();
  equal(receipt.status, 1, "greet status");
  equal(receipt.logs.length, 1, "greet receipt logs");
  const parsed = contract.interface.parseLog(receipt.logs[0]);
  equal(parsed.name, "Greeted", "event name");
  equal(parsed.args.message, "hi there", "event message");
  equal(parsed.args.count, 1n, "event count");
  const queried = await contract.queryFilter(contract.filters.Greeted(wallet.address), receipt.blockNumber, receipt.blockNumber);
  equal(queried.length, 1, "queryFilter results");
  equal(queried[0].transactionHash, receipt.hash, "queryFilter transaction hash");
  equal(queried[0].args.message, "hi there", "queryFilter decoded message");
  const logs = await provider.getLogs({ address, topics: [contract.interface.getEvent("Greeted").topicHash], fromBlock: 0, toBlock: "latest" });
  equal(logs.length, 1, "getLogs results");
  equal(logs[0].index, receipt.logs[0].index, "getLogs log index");
  equal(await provider.getBalance(address), parseUnits("1", "gwei"), "contract balance after a payable call");
  const fetched = await provider.getTransaction(receipt.hash);
  equal(fetched.from, wallet.address, "getTransaction from");
  equal((await provider.getTransactionReceipt(receipt.hash)).blockHash, receipt.blockHash, "getTransactionReceipt");
  const block = await provider.getBlock(receipt.blockNumber, true);
  check(block.transactions.includes(receipt.hash), "the block lists the transaction");
  steps.push("event");

  // -- a plain transfer and the balances it moves
  const recipient = Wallet.createRandom().address;
  const before = await provider.getBalance(wallet.address);
  const transfer = await wallet.sendTransaction({ to: recipient, value: parseEther("1.5") });
  const transferReceipt = await transfer.wait();
  equal(transferReceipt.status, 1, "transfer status");
  equal(await provider.getBalance(recipient), parseEther("1.5"), "recipient balance");
  const fee = transferReceipt.gasUsed * transferReceipt.gasPrice;
  equal(await provider.getBalance(wallet.address), before - parseEther("1.5") - fee, "sender balance after transfer and fee");
  steps.push("transfer");

  // -- an EIP-1559 transaction with explicit fees
  const typed = await wallet.sendTransaction({ to: recipient, value: 1n, type: 2, maxFeePerGas: parseUnits("2", "gwei"), maxPriorityFeePerGas: parseUnits("1", "gwei") });
  const typedReceipt = await typed.wait();
  equal(typedReceipt.type, 2, "type-2 receipt type");
  equal(typedReceipt.status, 1, "type-2 status");
  steps.push("eip1559");

  // -- several transactions in flight: the pending nonce counts the pool
  const base = await provider.getTransactionCount(wallet.address, "pending");
  const sent = [];
  for (let i = 0; i < 3; i++) sent.push(await contract.greet(`burst ${i}`, { nonce: base + i }));
  const pendingNonce = await provider.send("eth_getTransactionCount", [wallet.address, "pending"]);
  equal(BigInt(pendingNonce), BigInt(base + 3), "pending nonce with three transactions in flight");
  const burst = await Promise.all(sent.map((t) => t.wait()));
  check(burst.every((r) => r.status === 1), "a burst transaction failed");
  equal(await contract.count(), 4n, "count after the burst");
  equal(await contract.message(), "burst 2", "message after the burst");
  steps.push("burst");

  // -- reverts: reason strings and custom errors reach ethers decoded
  try {
    await contract.failing();
    fail("failing() did not revert");
  } catch (e) {
    equal(e.code, "CALL_EXCEPTION", "revert error code of a call");
    equal(e.reason, "always fails", "revert reason of a call");
  }
  try {
    await contract.limited.staticCall(11);
    fail("limited(11) did not revert in a call");
  } catch (e) {
    equal(e.code, "CALL_EXCEPTION", "revert error code of a custom error");
    equal(e.revert?.name, "TooBig", "custom error name");
    equal(e.revert?.args?.[0], 11n, "custom error argument");
  }
  try {
    await contract.limited(11);
    fail("limited(11) did not revert");
  } catch (e) {
    // Sending: the revert comes from eth_estimateGas; ethers leaves decoding the data to the caller.
    equal(e.code, "CALL_EXCEPTION", "revert error code of a transaction's gas estimate");
    equal(contract.interface.parseError(e.data)?.name, "TooBig", "custom error in the gas estimate's revert data");
  }
  // -- refusals ethers recognises by their messages
  try {
    await wallet.sendTransaction({ to: recipient, value: 1n, nonce: 0, gasLimit: 21_000n });
    fail("a reused nonce was accepted");
  } catch (e) {
    equal(e.code, "NONCE_EXPIRED", "error code for a reused nonce");
  }
  try {
    await Wallet.createRandom(provider).sendTransaction({ to: recipient, value: 1n });
    fail("an unfunded sender was accepted");
  } catch (e) {
    equal(e.code, "INSUFFICIENT_FUNDS", "error code for an unfunded sender");
  }
  const ok = await contract.limited(7);
  equal((await ok.wait()).status, 1, "limited(7) status");
  steps.push("reverts");

  // -- why a mined transaction failed: debug_traceTransaction through ethers' provider.send
  const failed = await contract.limited(12, { gasLimit: 100_000n });
  const failedReceipt = await provider.waitForTransaction(failed.hash);
  equal(failedReceipt.status, 0, "limited(12) mined as failed");
  const trace = await provider.send("debug_traceTransaction", [failed.hash, { tracer: "callTracer" }]);
  equal(trace.error, "execution reverted", "callTracer error of the failed transaction");
  equal(contract.interface.parseError(trace.output)?.name, "TooBig", "custom error in the callTracer output");
  equal(trace.to, address.toLowerCase(), "callTracer recipient");
  const steps4 = await provider.send("debug_traceTransaction", [failed.hash, { disableStack: true, limit: 5 }]);
  equal(steps4.failed, true, "struct logger: failed");
  equal(steps4.structLogs.length, 5, "struct logger: limit option");
  steps.push("traces");

  // -- what the WebSocket subscriptions delivered
  const blockNumber = await newBlock;
  check(blockNumber > startBlock, "block event number");
  const greeted = await greetedOverWs;
  equal(greeted.from, wallet.address, "WebSocket event sender");
  equal(greeted.count, 1n, "WebSocket event count");
  equal(greeted.message, "hi there", "WebSocket event message");
  equal(greeted.payload.log.transactionHash, receipt.hash, "WebSocket event transaction hash");
  // Whichever greeting the filter saw first (it is installed in the background), it matches that transaction.
  const greetedHttp = await greetedOverHttp;
  const greetings = new Map([[receipt.hash, "hi there"], ...burst.map((r, i) => [r.hash, `burst ${i}`])]);
  check(greetings.has(greetedHttp.payload.log.transactionHash), "HTTP filter event from an unknown transaction");
  equal(greetedHttp.message, greetings.get(greetedHttp.payload.log.transactionHash), "HTTP filter event message");
  await contract.removeAllListeners();
  await ws.removeAllListeners();
  await ws.destroy();
  steps.push("subscriptions");

  console.log(`ethers client check ok: ${JSON.stringify({ chainId: network.chainId.toString(), contract: address, steps })}`);
}

setTimeout(() => fail(`timed out after ${TIMEOUT_MS} ms`), TIMEOUT_MS).unref();
main().then(
  () => process.exit(0),
  (e) => fail(e?.stack ?? String(e)),
);
