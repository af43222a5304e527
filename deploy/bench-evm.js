// EVM benchmark, Hardhat side of `./flotilla bench evm`: the same transactions as io.flotilla.evm.bench.EvmBench,
// run on Hardhat's in-process network (EDR), one JSON line per workload on stdout.
//
//   npx hardhat run deploy/bench-evm.js      (after `npx hardhat compile`)
//
// erc20-transfer: contracts/bench/BenchToken.sol (same artifact bytecode, supply 10^27) deployed by Hardhat account #0
// at nonce 0, then BLOCKS blocks of PER_BLOCK transfer(address(0x100000 + i), 10^18) calls from the deployer, gas
// limit 100,000 each, i = 0, 1, ... across blocks: the same calldata, sender, token address and nonces as EvmBench.
// Synthetic workloads (arith-loop, keccak-loop, storage-rw): only when FLOTILLA_BENCH_EVM_WORKLOADS names the JSON
// file EvmBench --export wrote; the runtime code is installed with hardhat_setCode at the same address and the same
// calldata/gas limits are sent.
//
// Method: automine is off; the transactions of a block are submitted with eth_sendTransaction (EDR signs and pools
// them), then evm_mine builds the block. "seconds" and "mgas_per_s" time the evm_mine calls only (execution, state
// root, receipts, block assembly); submission (signing, pooling, RPC) is reported apart. Every iteration starts from
// the same state (evm_snapshot / evm_revert); one warm-up iteration is not counted. Each block's transaction count,
// the last receipt's status and an empty pool are checked.
//
// Environment: FLOTILLA_BENCH_ERC20_BLOCKS (default 8), FLOTILLA_BENCH_ERC20_TXS_PER_BLOCK (default 500),
// FLOTILLA_BENCH_EDR_ITERATIONS (default 3), FLOTILLA_BENCH_EVM_WORKLOADS (optional, see above).
import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { network } from "hardhat";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const BLOCKS = Number(process.env.FLOTILLA_BENCH_ERC20_BLOCKS ?? 8);
const PER_BLOCK = Number(process.env.FLOTILLA_BENCH_ERC20_TXS_PER_BLOCK ?? 500);
const ITERATIONS = Number(process.env.FLOTILLA_BENCH_EDR_ITERATIONS ?? 3);
const WORKLOADS = process.env.FLOTILLA_BENCH_EVM_WORKLOADS;
const WARMUP = 1;
const RECIPIENT_BASE = 0x100000n;
const ERC20_TX_GAS = 100_000;
const MAX_FEE = 4_000_000_000n;
const TIP = 1n;

const { ethers, provider } = await network.getOrCreate();
const rpc = (method, params = []) => provider.request({ method, params });
const hex = (v) => "0x" + BigInt(v).toString(16);
const version = (name) => {
  try {
    return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "unknown";
  }
};

const [deployer] = await ethers.getSigners();
const from = await deployer.getAddress();

/** Runs blocks of transactions ({to, data, gas}) from `from`, timing submission and evm_mine apart. */
async function iteration(blocks) {
  let submitNs = 0n;
  let mineNs = 0n;
  let gas = 0n;
  let txs = 0;
  for (const block of blocks) {
    const t0 = process.hrtime.bigint();
    for (const tx of block) {
      await rpc("eth_sendTransaction", [
        { from, to: tx.to, data: tx.data, gas: hex(tx.gas), maxFeePerGas: hex(MAX_FEE), maxPriorityFeePerGas: hex(TIP) },
      ]);
    }
    const t1 = process.hrtime.bigint();
    await rpc("evm_mine");
    const t2 = process.hrtime.bigint();
    submitNs += t1 - t0;
    mineNs += t2 - t1;
    const mined = await rpc("eth_getBlockByNumber", ["latest", false]);
    if (mined.transactions.length !== block.length) {
      throw new Error(`block ${BigInt(mined.number)} holds ${mined.transactions.length} transactions, expected ${block.length}`);
    }
    const last = await rpc("eth_getTransactionReceipt", [mined.transactions.at(-1)]);
    if (last.status !== "0x1") throw new Error(`a transaction of block ${BigInt(mined.number)} failed`);
    gas += BigInt(mined.gasUsed);
    txs += mined.transactions.length;
  }
  const pending = await rpc("eth_getBlockTransactionCountByNumber", ["pending"]);
  if (BigInt(pending ?? 0) !== 0n) throw new Error(`${BigInt(pending)} transactions left in the pool`);
  return { submitNs, mineNs, gas, txs };
}

/** Warm-up plus ITERATIONS measured iterations, each from the same snapshot; prints one JSON line. */
async function measure(workload, description, blocks, check = async () => {}) {
  let snapshot = await rpc("evm_snapshot");
  const results = [];
  for (let it = 0; it < WARMUP + ITERATIONS; it++) {
    const r = await iteration(blocks);
    await check();
    if (it >= WARMUP) results.push(r);
    await rpc("evm_revert", [snapshot]);
    snapshot = await rpc("evm_snapshot");
  }
  const mineS = Number(results.reduce((a, r) => a + r.mineNs, 0n)) / 1e9;
  const submitS = Number(results.reduce((a, r) => a + r.submitNs, 0n)) / 1e9;
  const gas = Number(results.reduce((a, r) => a + r.gas, 0n));
  const txs = results.reduce((a, r) => a + r.txs, 0);
  const perIt = results.map((r) => Number(r.gas) / (Number(r.mineNs) / 1e3));
  console.log(
    JSON.stringify({
      bench: "evm",
      workload,
      engine: "hardhat-edr",
      txs,
      gas,
      seconds: Number(mineS.toFixed(3)),
      mgas_per_s: Number((gas / 1e6 / mineS).toFixed(1)),
      mgas_per_s_min: Number(Math.min(...perIt).toFixed(1)),
      mgas_per_s_max: Number(Math.max(...perIt).toFixed(1)),
      submit_seconds: Number(submitS.toFixed(3)),
      mgas_per_s_incl_submit: Number((gas / 1e6 / (mineS + submitS)).toFixed(1)),
      blocks: blocks.length * ITERATIONS,
      txs_per_block: blocks[0].length,
      gas_per_tx: Math.floor(gas / txs),
      iterations: ITERATIONS,
      warmup_iterations: WARMUP,
      hardhat: version("hardhat"),
      edr: version("@nomicfoundation/edr"),
      cpus: availableParallelism(),
      load_avg_1m: Number(loadavg()[0].toFixed(2)),
      description,
    }),
  );
}

await rpc("evm_setAutomine", [false]);
try {
  // ------------------------------------------------------------ synthetic workloads (optional)
  if (WORKLOADS) {
    if (!existsSync(WORKLOADS)) throw new Error(`${WORKLOADS} not found: run EvmBench with --export first`);
    const exported = JSON.parse(readFileSync(WORKLOADS, "utf8"));
    if (exported.sender.toLowerCase() !== from.toLowerCase()) throw new Error(`sender ${exported.sender} is not account #0 ${from}`);
    for (const w of exported.workloads) {
      await rpc("hardhat_setCode", [w.address, w.code]);
      await rpc("hardhat_setNonce", [w.address, "0x1"]);
      const blocks = [];
      for (let i = 0; i < w.txs.length; i += w.txs_per_block) {
        blocks.push(w.txs.slice(i, i + w.txs_per_block).map((t) => ({ to: w.address, data: t.data, gas: t.gas })));
      }
      await measure(w.workload, w.description, blocks);
    }
  }

  // ------------------------------------------------------------ ERC-20 transfers
  const token = await (await ethers.getContractFactory("BenchToken", deployer)).deploy(10n ** 27n, { gasLimit: 3_000_000n });
  await rpc("evm_mine");
  await token.waitForDeployment();
  const to = (await token.getAddress()).toLowerCase();
  if ((await ethers.provider.getCode(to)) === "0x") throw new Error("BenchToken deployment failed");
  const blocks = [];
  let i = 0n;
  for (let b = 0; b < BLOCKS; b++) {
    const block = [];
    for (let k = 0; k < PER_BLOCK; k++, i++) {
      const data = token.interface.encodeFunctionData("transfer", [ethers.toBeHex(RECIPIENT_BASE + i, 20), 10n ** 18n]);
      block.push({ to, data, gas: ERC20_TX_GAS });
    }
    blocks.push(block);
  }
  const lastRecipient = ethers.toBeHex(RECIPIENT_BASE + i - 1n, 20);
  await measure("erc20-transfer", `OpenZeppelin ERC20.transfer of 1 token to a fresh recipient per tx, token ${to}`, blocks, async () => {
    const balance = await token.balanceOf(lastRecipient);
    if (balance !== 10n ** 18n) throw new Error(`last recipient holds ${balance}`);
  });
} finally {
  await rpc("evm_setAutomine", [true]);
}
