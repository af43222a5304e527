// Decentralization simulator: drives the real manager contracts on Hardhat's in-process network and prints one
// JSON line per figure.
//
//   ./flotilla simulate            (or: npx hardhat run deploy/simulate.js)
//
// A network of FLOTILLA_SIM_NODES validators with one node each (default 100). A share of them is adversarial
// (10, 20 and 33%: the validators with the lowest ids; every node is alike, so which ones does not matter).
//  1. Selection: FLOTILLA_SIM_CHAINS 16-node chains (default 1,000, so 16,000 picks) are created (request and
//     finalize, as any developer does) and deleted again; the chi-square statistic of the picks per node against
//     uniform, and for each share the measured probability that the adversary holds a third or more (6+ of 16)
//     and two thirds or more (11+) of a chain, next to the hypergeometric value.
//  2. Periodic rotation: one 16-node chain rotated FLOTILLA_SIM_ROTATIONS times (default 1,500), one member per
//     rotation period; for each share, the share of periods the adversary holds a third or more, and how long
//     such a capture lasts (in rotation periods).
import { network } from "hardhat";
import { deployFlotilla, defaultSettings } from "./flotilla.js";

const NODES = Number(process.env.FLOTILLA_SIM_NODES ?? 100);
const CHAINS = Number(process.env.FLOTILLA_SIM_CHAINS ?? 1000);
const ROTATIONS = Number(process.env.FLOTILLA_SIM_ROTATIONS ?? 1500);
const SHARES = [0.1, 0.2, 0.33];
const CHAIN_NODES = 16;
const THIRD = Math.ceil(CHAIN_NODES / 3); // 6 of 16
const TWO_THIRDS = Math.ceil((2 * CHAIN_NODES) / 3); // 11 of 16

const { ethers, networkHelpers } = await network.getOrCreate();
const [admin, developer] = await ethers.getSigners();
const settings = defaultSettings(ethers);
settings.parameters.rotationPeriod = 1;
settings.parameters.rotationDelay = 0;
const c = await deployFlotilla(ethers, admin, settings);
await (await c.images.publish("1.0.0", "0x" + "ab".repeat(32), "subnode")).wait();
await networkHelpers.setBalance(developer.address, ethers.parseEther("1000000"));

const print = (record) => console.log(JSON.stringify(record));
const started = Date.now();

const nodeIds = [];
for (let i = 0; i < NODES; i++) {
  const owner = new ethers.Wallet(ethers.id(`sim-validator-${i}`), ethers.provider);
  const node = new ethers.Wallet(ethers.id(`sim-node-${i}`), ethers.provider);
  await networkHelpers.setBalance(owner.address, ethers.parseEther("10"));
  await networkHelpers.setBalance(node.address, ethers.parseEther("1"));
  await (await c.validators.connect(owner).registerValidator(`sim-${i}`, 0, { value: ethers.parseEther("1") })).wait();
  const id = await c.validators.validatorIdOf(owner.address);
  const signature = await node.signMessage(ethers.getBytes(await c.validators.linkMessage(id)));
  await (await c.validators.connect(owner).linkNodeAddress(node.address, signature)).wait();
  await (await c.nodes.connect(node).createNode({
    name: `sim-${i}`,
    ip: ethers.toBeHex(0x7f000000 + 0x10000 + i, 4),
    basePort: 10000,
    publicKey: "0x" + node.signingKey.publicKey.slice(4),
    domain: "",
    capacity: { cpuMillicores: 1000, memoryMiB: 1024, diskGiB: 10 },
  })).wait();
  nodeIds.push(Number(await c.nodes.nodeIdOf(node.address)));
}
const adversaries = (share) => new Set(nodeIds.slice(0, Math.round(share * NODES)));

// ---------------------------------------------------------------- hypergeometric

function logChoose(n, k) {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}
/** P(X >= atLeast) for X ~ Hypergeometric(population, successes, draws). */
function hypergeometricTail(population, successes, draws, atLeast) {
  let p = 0;
  for (let x = atLeast; x <= Math.min(draws, successes); x++) {
    p += Math.exp(logChoose(successes, x) + logChoose(population - successes, draws - x) - logChoose(population, draws));
  }
  return p;
}
/** Upper tail of chi-square with `df` degrees of freedom (Wilson-Hilferty). */
function chiSquarePValue(x, df) {
  const z = (Math.cbrt(x / df) - (1 - 2 / (9 * df))) / Math.sqrt(2 / (9 * df));
  // 1 - Phi(z) by the complementary error function (Abramowitz-Stegun 7.1.26).
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-(z * z) / 2);
  return z >= 0 ? erfc / 2 : 1 - erfc / 2;
}

// ---------------------------------------------------------------- 1. selection over new chains

const picks = new Map(nodeIds.map((id) => [id, 0]));
const seatsPerChain = [];
const price = await c.manager.priceOf("small", 3600);
for (let k = 0; k < CHAINS; k++) {
  const name = `sim-${k}`;
  await (await c.manager.connect(developer).createSidechain(name, "small", 3600, { consensus: "bft", imageVersion: "1.0.0" }, { value: price })).wait();
  const chainId = await c.manager.chainIdOf(name);
  await (await c.manager.finalizeDraw(chainId)).wait();
  const members = (await c.manager.getChain(chainId)).members.map(Number);
  for (const m of members) picks.set(m, picks.get(m) + 1);
  seatsPerChain.push(members);
  await (await c.manager.connect(developer).deleteSidechain(chainId)).wait();
}
const totalPicks = CHAINS * CHAIN_NODES;
const expected = totalPicks / NODES;
const chiSquare = [...picks.values()].reduce((s, o) => s + ((o - expected) ** 2) / expected, 0);
print({
  simulation: "selection-uniformity", nodes: NODES, validators: NODES, chains: CHAINS, picks: totalPicks,
  chiSquare: Number(chiSquare.toFixed(2)), degreesOfFreedom: NODES - 1, pValue: Number(chiSquarePValue(chiSquare, NODES - 1).toFixed(4)),
  minPicks: Math.min(...picks.values()), maxPicks: Math.max(...picks.values()), expectedPicks: expected,
});
for (const share of SHARES) {
  const bad = adversaries(share);
  const held = seatsPerChain.map((members) => members.filter((m) => bad.has(m)).length);
  const third = held.filter((h) => h >= THIRD).length / held.length;
  const twoThirds = held.filter((h) => h >= TWO_THIRDS).length / held.length;
  print({
    simulation: "capture-at-creation", adversaryShare: share, adversaryNodes: bad.size, nodes: NODES, chainNodes: CHAIN_NODES, chains: held.length,
    pThirdOrMore: third, hypergeometricThirdOrMore: Number(hypergeometricTail(NODES, bad.size, CHAIN_NODES, THIRD).toPrecision(4)),
    pTwoThirdsOrMore: twoThirds, hypergeometricTwoThirdsOrMore: Number(hypergeometricTail(NODES, bad.size, CHAIN_NODES, TWO_THIRDS).toPrecision(4)),
    meanSeats: Number((held.reduce((a, b) => a + b, 0) / held.length).toFixed(3)), expectedMeanSeats: Number(((CHAIN_NODES * bad.size) / NODES).toFixed(3)),
  });
}

// ---------------------------------------------------------------- 2. periodic rotation of one chain

const lifetime = 4 * 365 * 24 * 3600;
await (await c.manager.connect(developer).createSidechain("rotated", "small", lifetime, { consensus: "bft", imageVersion: "1.0.0" }, { value: await c.manager.priceOf("small", lifetime) })).wait();
const rotated = await c.manager.chainIdOf("rotated");
await (await c.manager.finalizeDraw(rotated)).wait();
const history = [(await c.manager.getChain(rotated)).members.map(Number)];
let members = [...history[0]];
for (let k = 0; k < ROTATIONS; k++) {
  await networkHelpers.time.increase(2);
  await (await c.manager.rotate(rotated)).wait();
  const receipt = await (await c.manager.finalizeDraw(rotated)).wait();
  const event = receipt.logs.map((l) => { try { return c.manager.interface.parseLog(l); } catch { return null; } }).find((e) => e?.name === "NodeRotated");
  members = members.map((m) => (m === Number(event.args.leavingNode) ? Number(event.args.joiningNode) : m));
  history.push(members);
}
for (const share of SHARES) {
  const bad = adversaries(share);
  const held = history.map((ms) => ms.filter((m) => bad.has(m)).length);
  const episodes = [];
  let run = 0;
  for (const h of held) {
    if (h >= THIRD) run++;
    else if (run > 0) {
      episodes.push(run);
      run = 0;
    }
  }
  if (run > 0) episodes.push(run);
  const capturedPeriods = held.filter((h) => h >= THIRD).length;
  print({
    simulation: "capture-under-rotation", adversaryShare: share, adversaryNodes: bad.size, nodes: NODES, chainNodes: CHAIN_NODES,
    rotationPeriods: held.length, shareOfPeriodsThirdOrMore: Number((capturedPeriods / held.length).toFixed(4)),
    hypergeometricThirdOrMore: Number(hypergeometricTail(NODES, bad.size, CHAIN_NODES, THIRD).toPrecision(4)),
    periodsTwoThirdsOrMore: held.filter((h) => h >= TWO_THIRDS).length,
    captures: episodes.length,
    meanCaptureDurationPeriods: episodes.length ? Number((episodes.reduce((a, b) => a + b, 0) / episodes.length).toFixed(2)) : 0,
    maxCaptureDurationPeriods: episodes.length ? Math.max(...episodes) : 0,
  });
}
print({ simulation: "done", seconds: Math.round((Date.now() - started) / 1000) });
