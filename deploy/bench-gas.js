// Gas benchmark of the manager contracts: one JSON line per measurement on stdout.
//
//   ./flotilla bench gas            (or: npx hardhat run deploy/bench-gas.js)
//
// Registers 16, 256, 1024 and 4096 nodes (4 per validator) on Hardhat's in-process network and measures
// createSidechain per chain type, a periodic rotation, node exit per chain rotated, liveness reports, and
// resizeSidechain (issue 16: more units in place, 4 -> 16 members, 16 -> 11 members with fewer units).
// Every draw takes two transactions (the request, then finalizeDraw from a later block): "gas" is their sum,
// "request" and "finalize" the parts, averaged over SAMPLES runs from the same state (each run reverts to a
// snapshot), with min and max of the sum.
import { network } from "hardhat";
import { deployFlotilla, defaultSettings } from "./flotilla.js";

const SIZES = (process.env.FLOTILLA_BENCH_SIZES ?? "16,256,1024,4096").split(",").filter(Boolean).map(Number);
const SAMPLES = Number(process.env.FLOTILLA_BENCH_SAMPLES ?? 5);
const NODES_PER_VALIDATOR = 4;
const LIFETIME = 30 * 24 * 3600;

const { ethers, networkHelpers } = await network.getOrCreate();
const [admin, developer] = await ethers.getSigners();
const settings = defaultSettings(ethers);
settings.parameters.rotationPeriod = 1;
settings.parameters.rotationDelay = 600;
const c = await deployFlotilla(ethers, admin, settings);
await (await c.images.publish("1.0.0", "0x" + "ab".repeat(32), "subnode")).wait();
// Resize targets: dev4 with 16 units per node, 16 nodes of 8 units, 11 nodes of 4 units.
await (await c.manager.setChainType("dev4x16", 16, 4, true)).wait();
await (await c.manager.setChainType("dev16", 8, 16, true)).wait();
await (await c.manager.setChainType("dev11x4", 4, 11, true)).wait();

// Registration is real (each node signs its link and creates itself from its own address) but pipelined: a
// batch of nodes is funded, linked (explicit nonces of each validator's key) and created without waiting for each
// receipt in turn, which keeps 4,096 nodes to minutes.
const nonces = new Map();
async function registerNodes(contracts, specs) {
  const BATCH = 64;
  const out = [];
  for (let first = 0; first < specs.length; first += BATCH) {
    const batch = specs.slice(first, first + BATCH);
    await Promise.all(batch.map((b) => networkHelpers.setBalance(b.wallet.address, ethers.parseEther("10"))));
    const links = [];
    for (const b of batch) {
      const signature = await b.wallet.signMessage(ethers.getBytes(await contracts.validators.linkMessage(b.owner.id)));
      const key = b.owner.wallet.address;
      if (!nonces.has(key)) nonces.set(key, await ethers.provider.getTransactionCount(key));
      const nonce = nonces.get(key);
      nonces.set(key, nonce + 1);
      links.push(await contracts.validators.connect(b.owner.wallet).linkNodeAddress(b.wallet.address, signature, { nonce, gasLimit: 300000 }));
    }
    await Promise.all(links.map((t) => t.wait()));
    const creates = await Promise.all(batch.map((b) => contracts.nodes.connect(b.wallet).createNode({
      name: b.name, ip: b.ip, basePort: 10000,
      publicKey: "0x" + b.wallet.signingKey.publicKey.slice(4), domain: "",
      capacity: { cpuMillicores: 8000, memoryMiB: 32768, diskGiB: 500 },
    }, { gasLimit: 1000000 })));
    const receipts = await Promise.all(creates.map((t) => t.wait()));
    for (const r of receipts) if (r.status !== 1) throw new Error(`node registration failed in ${r.hash}`);
    for (const b of batch) out.push({ wallet: b.wallet, id: await contracts.nodes.nodeIdOf(b.wallet.address), owner: b.owner });
  }
  return out;
}

const nodes = [];
const regularValidators = [];
async function addNodesUpTo(size) {
  const specs = [];
  for (let i = nodes.length; i < size; i++) {
    if (i % NODES_PER_VALIDATOR === 0) {
      const wallet = new ethers.Wallet(ethers.id(`bench-validator-${i}`), ethers.provider);
      await networkHelpers.setBalance(wallet.address, ethers.parseEther("1000"));
      await (await c.validators.connect(wallet).registerValidator(`v${i}`, 0, { value: ethers.parseEther("100") })).wait();
      regularValidators.push({ wallet, id: await c.validators.validatorIdOf(wallet.address) });
    }
    specs.push({
      name: `n${i}`, ip: ethers.toBeHex(0x7f000000 + i + 10, 4), owner: regularValidators.at(-1),
      wallet: new ethers.Wallet(ethers.id(`bench-node-${i}`), ethers.provider),
    });
  }
  nodes.push(...(await registerNodes(c, specs)));
}

let nameCounter = 0;
/** Creates a chain of `type` (request and finalize); returns the gas of both and the chain id. */
async function createChain(type) {
  const name = `bench-${nameCounter++}`;
  const price = await c.manager.priceOf(type, LIFETIME);
  const request = await (await c.manager.connect(developer).createSidechain(name, type, LIFETIME, { consensus: "bft", imageVersion: "1.0.0" }, { value: price })).wait();
  const chainId = await c.manager.chainIdOf(name);
  const finalize = await (await c.manager.finalizeDraw(chainId)).wait();
  return { gas: { request: request.gasUsed, finalize: finalize.gasUsed }, chainId };
}

async function finalizeGas(chainId) {
  return (await (await c.manager.finalizeDraw(chainId)).wait()).gasUsed;
}

/**
 * Runs `fn` SAMPLES times from the same state; `fn` returns { request, finalize } gas (or one number). Returns
 * the mean of the sum as "gas", its min and max, and the means of the parts.
 */
async function sample(fn) {
  const values = [];
  const requests = [];
  const finalizes = [];
  for (let k = 0; k < SAMPLES; k++) {
    const snapshot = await networkHelpers.takeSnapshot();
    await networkHelpers.mine(1 + k); // a different seed block for each sample
    const r = await fn();
    const parts = typeof r === "object" ? r : { request: r, finalize: 0n };
    requests.push(Number(parts.request));
    finalizes.push(Number(parts.finalize));
    values.push(Number(parts.request) + Number(parts.finalize));
    await snapshot.restore();
  }
  const mean = (list) => Math.round(list.reduce((a, b) => a + b, 0) / list.length);
  return { gas: mean(values), min: Math.min(...values), max: Math.max(...values), request: mean(requests), finalize: mean(finalizes), samples: values.length };
}

function print(record) {
  console.log(JSON.stringify(record));
}

// A node with `chains` dev4 chains: the exit rotates each of them.
async function exitCost(chains) {
  const ids = [];
  for (let k = 0; k < chains; k++) ids.push((await createChain("dev4")).chainId);
  const members = (await c.manager.getChain(ids[0])).members;
  let node = nodes.find((n) => n.id === members[0]);
  const placed = (await c.manager.chainsOfNode(node.id)).length;
  await (await c.nodes.connect(node.wallet).initiateExit(node.id)).wait();
  const receipt = await (await c.manager.processExit(node.id, 1000)).wait();
  let finalize = 0n;
  for (const p of await c.nodes.placementsOf(node.id)) finalize += await finalizeGas(p.chainId);
  return { perChain: { request: receipt.gasUsed / BigInt(placed), finalize: finalize / BigInt(placed) }, chainsRotated: placed };
}

const types = ["small", "medium", "large", "dev4"];
for (const size of SIZES) {
  await addNodesUpTo(size);
  const base = { registeredNodes: size };
  for (const type of types) {
    const t = await c.manager.chainType(type);
    if (Number(t.nodeCount) > size) continue;
    print({ op: "createSidechain", type, chainNodes: Number(t.nodeCount), ...base, ...(await sample(async () => (await createChain(type)).gas)) });
  }
  print({
    op: "rotate", type: "dev4", chainNodes: 4, ...base,
    ...(await sample(async () => {
      const { chainId } = await createChain("dev4");
      await networkHelpers.time.increase(2);
      const request = (await (await c.manager.rotate(chainId)).wait()).gasUsed;
      return { request, finalize: await finalizeGas(chainId) };
    })),
  });
  let chainsRotated = 0;
  print({
    op: "nodeExit", type: "dev4", ...base,
    ...(await sample(async () => {
      const r = await exitCost(3);
      chainsRotated = r.chainsRotated;
      return r.perChain;
    })),
    unit: "gas per chain rotated",
    chainsPerNode: chainsRotated,
  });
  const reportOf = async (last) => {
    const { chainId } = await createChain("dev4");
    const members = (await c.manager.getChain(chainId)).members;
    const reporters = members.slice(1).map((id) => nodes.find((n) => n.id === id));
    let receipt;
    for (let k = 0; k < (last ? 3 : 1); k++) {
      receipt = await (await c.manager.connect(reporters[k].wallet).reportDown(chainId, members[0])).wait();
    }
    return { request: receipt.gasUsed, finalize: last ? await finalizeGas(chainId) : 0n };
  };
  print({ op: "reportDown", type: "dev4", quorumReached: false, ...base, ...(await sample(() => reportOf(false))) });
  print({ op: "reportDown", type: "dev4", quorumReached: true, ...base, ...(await sample(() => reportOf(true))) });
  // Resizes: the owner's request (paid), then finalizeDraw when the resize grows something; a shrink applies at once.
  const resize = async (from, to) => {
    const { chainId } = await createChain(from);
    const request = (await (await c.manager.connect(developer).resizeSidechain(chainId, to, { value: ethers.parseEther("100") })).wait()).gasUsed;
    return { request, finalize: (await c.manager.pendingDraw(chainId)).kind !== 0n ? await finalizeGas(chainId) : 0n };
  };
  for (const [from, to, what] of [["dev4", "dev4x16", "units in place"], ["dev4", "dev16", "12 members added"], ["dev16", "dev11x4", "5 members removed, units down"]]) {
    const t = await c.manager.chainType(to);
    if (Number(t.nodeCount) > size || Number((await c.manager.chainType(from)).nodeCount) > size) continue;
    print({ op: "resizeSidechain", from, to, change: what, ...base, ...(await sample(() => resize(from, to))) });
  }
}

// ---------------------------------------------------------------- skewed validators (issue 14)
//
// 16 validators: validator 0 runs a single node, validator 1 about 80% of the nodes, validators 2-15 the rest.
// "skewed-16v-single": create a 16-node chain, the exit of validator 0's node (per chain), and the liveness
// report that reaches quorum, on a 16-node chain; "skewed-15-eligible": the same after validator 0's node went
// into maintenance (15 validators with eligible nodes, so a 16-node chain needs repeated validators; the exit is
// then that of a node of validator 2). Goals (issue 14): create <= 2.5 M gas, exit and report <= 1 M per chain.
const SKEWED_SIZES = (process.env.FLOTILLA_BENCH_SKEWED_SIZES ?? "256,1024,4096").split(",").filter(Boolean).map(Number);
for (const size of SKEWED_SIZES) {
  const s = await deployFlotilla(ethers, admin, settings);
  await (await s.images.publish("1.0.0", "0x" + "ab".repeat(32), "subnode")).wait();
  const owners = [];
  for (let v = 0; v < 16; v++) {
    const wallet = new ethers.Wallet(ethers.id(`skew-validator-${size}-${v}`), ethers.provider);
    await networkHelpers.setBalance(wallet.address, ethers.parseEther("100000"));
    await (await s.validators.connect(wallet).registerValidator(`s${v}`, 0, { value: ethers.parseEther("5000") })).wait();
    owners.push({ wallet, id: await s.validators.validatorIdOf(wallet.address) });
  }
  const setupStart = Date.now();
  const specs = [];
  for (let i = 0; i < size; i++) {
    const owner = i === 0 ? owners[0] : i % 5 !== 0 ? owners[1] : owners[2 + (Math.floor(i / 5) % 14)];
    specs.push({ name: `s${i}`, ip: ethers.toBeHex(0x7f000000 + 0x20000 + i, 4), owner, wallet: new ethers.Wallet(ethers.id(`skew-node-${size}-${i}`), ethers.provider) });
  }
  const skewNodes = await registerNodes(s, specs);
  process.stderr.write(`skewed setup of ${size} nodes: ${((Date.now() - setupStart) / 1000).toFixed(0)} s\n`);
  const base = { registeredNodes: size, validators: 16, largestValidatorNodes: skewNodes.length - 1 - Math.floor((size - 1) / 5) };
  let counter = 0;
  const create = async (type) => {
    const name = `skew-${counter++}`;
    const price = await s.manager.priceOf(type, LIFETIME);
    const request = (await (await s.manager.connect(developer).createSidechain(name, type, LIFETIME, { consensus: "bft", imageVersion: "1.0.0" }, { value: price })).wait()).gasUsed;
    const chainId = await s.manager.chainIdOf(name);
    const finalize = (await (await s.manager.finalizeDraw(chainId)).wait()).gasUsed;
    return { chainId, gas: { request, finalize } };
  };
  const attempt = async (fn) => {
    try {
      return await fn();
    } catch (error) {
      return { error: (error.shortMessage ?? error.message).slice(0, 160) };
    }
  };
  const single = skewNodes[0];
  const measure = async (scenario, leaverOwner) => {
    const created = await attempt(async () => sample(async () => (await create("small")).gas));
    print({ scenario, op: "createSidechain", type: "small", chainNodes: 16, ...base, ...created });
    // The exit of `leaver` (validator 0's only node; with 15 eligible validators, a node of validator 2) out of
    // the 16-node chains it serves.
    const exit = await attempt(async () => sample(async () => {
      const chains = [];
      for (let k = 0; k < 2; k++) chains.push((await create("small")).chainId);
      const firstMembers = (await s.manager.getChain(chains[0])).members;
      const leaver = skewNodes.find((n) => n.owner === leaverOwner && firstMembers.includes(n.id));
      const placements = await s.nodes.placementsOf(leaver.id);
      if (placements.length === 0) throw new Error("the leaving node serves no chain");
      await (await s.nodes.connect(leaver.wallet).initiateExit(leaver.id)).wait();
      const request = (await (await s.manager.processExit(leaver.id, 1000)).wait()).gasUsed;
      let finalize = 0n;
      for (const p of placements) finalize += (await (await s.manager.finalizeDraw(p.chainId)).wait()).gasUsed;
      return { request: request / BigInt(placements.length), finalize: finalize / BigInt(placements.length) };
    }));
    print({ scenario, op: "nodeExit", type: "small", ...base, ...exit, unit: "gas per chain rotated" });
    // The liveness report that reaches quorum on a 16-node chain (11 reports), and its replacement draw.
    const report = await attempt(async () => sample(async () => {
      const { chainId } = await create("small");
      const members = (await s.manager.getChain(chainId)).members;
      const quorum = Number(await s.manager.quorumOf(16));
      // Reporters of distinct validators first (reports count per validator, at most f each).
      const reporters = [];
      const seen = new Set();
      for (const id of members.slice(1)) {
        const n = skewNodes.find((x) => x.id === id);
        if (!seen.has(n.owner.id)) { seen.add(n.owner.id); reporters.push(n); }
      }
      for (const id of members.slice(1)) if (!reporters.some((r) => r.id === id)) reporters.push(skewNodes.find((x) => x.id === id));
      let last;
      for (const reporter of reporters) {
        last = await (await s.manager.connect(reporter.wallet).reportDown(chainId, members[0])).wait();
        if ((await s.manager.pendingDraw(chainId)).kind !== 0n) break;
      }
      if ((await s.manager.pendingDraw(chainId)).kind === 0n) throw new Error(`no quorum of ${quorum}`);
      return { request: last.gasUsed, finalize: (await (await s.manager.finalizeDraw(chainId)).wait()).gasUsed };
    }));
    print({ scenario, op: "reportDown", type: "small", quorumReached: true, ...base, ...report });
  };
  await measure("skewed-16v-single", owners[0]);
  await (await s.nodes.connect(single.wallet).setMaintenance(single.id, true)).wait();
  await measure("skewed-15-eligible", owners[2]);
}
