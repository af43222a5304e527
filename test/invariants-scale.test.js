// Invariants at scale (issue 14): thousands of random operations on a network of hundreds of nodes and dozens
// of validators, one of which runs a large share of the nodes. After every operation the chains it touched are
// checked (size, distinct members, at most f seats per validator, the seat rule after every rotation, a gas
// bound); liveness reports are checked against a model that forgets them on every membership change; every few
// hundred operations the whole network is checked (space, distinct port slots, the selection index, stake
// reserved for exactly the live nodes, fee and stake balances).
import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, walletFor, nodeParams, options, HOUR, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const OPERATIONS = Number(process.env.FLOTILLA_INVARIANT_OPERATIONS ?? 5000);
const VALIDATORS = 40;
const NODES = 320;
const BIG_SHARE = 0.35; // validator 0 runs about a third of the nodes
const FULL_CHECK_EVERY = 500;
const GAS_BOUND = 6_000_000n;
const TYPES = { dev4: [8, 4], small16: [1, 16], trio: [40, 3], big4: [64, 4], wide7: [16, 7] };

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const quorumOf = (n) => Math.floor((n + Math.floor((n - 1) / 3)) / 2) + 1;
const capOf = (n) => Math.max(1, Math.floor((n - 1) / 3));

async function scaleFixture() {
  const ctx = await deployFixture(ethers);
  await ctx.manager.setParameters({ ...ctx.settings.parameters, rotationPeriod: DAY, rotationDelay: HOUR });
  for (const [name, [units, size]] of Object.entries(TYPES)) await ctx.manager.setChainType(name, units, size, true);
  const validators = await addValidators(ctx, ethers, networkHelpers, VALIDATORS, ethers.parseEther("400"), "scale-v");
  const random = prng(14);
  const nodes = [];
  for (let i = 0; i < NODES; i++) {
    const owner = random() < BIG_SHARE ? validators[0] : validators[1 + Math.floor(random() * (VALIDATORS - 1))];
    const wallet = walletFor(ethers, "scale-node", i);
    await networkHelpers.setBalance(wallet.address, ethers.parseEther("10"));
    const signature = await wallet.signMessage(ethers.getBytes(await ctx.validators.linkMessage(owner.id)));
    await (await ctx.validators.connect(owner.wallet).linkNodeAddress(wallet.address, signature)).wait();
    await (await ctx.nodes.connect(wallet).createNode(nodeParams(wallet, 2000 + i))).wait();
    nodes.push({ wallet, id: await ctx.nodes.nodeIdOf(wallet.address), validator: owner });
  }
  return { ...ctx, validatorList: validators, nodeList: nodes };
}

describe("Invariants at scale", function () {
  it(`hold over ${OPERATIONS} random operations on ${NODES} nodes of ${VALIDATORS} validators, one running ~${BIG_SHARE * 100}%`, async function () {
    this.timeout(1_800_000);
    const ctx = await networkHelpers.loadFixture(scaleFixture);
    const random = prng(2026);
    const pick = (list) => list[Math.floor(random() * list.length)];
    const contracts = [ctx.manager, ctx.nodes, ctx.validators, ctx.images];
    const byId = new Map(ctx.nodeList.map((n) => [String(n.id), n]));
    const validatorOf = new Map(ctx.nodeList.map((n) => [String(n.id), String(n.validator.id)]));
    const chains = new Map(); // id -> { size, units, epochMembers: string of members }
    const reports = new Map(); // `${chain}:${target}` -> { members, reporters: Set, validators: Map, start }
    const counts = {};
    const maxGas = {};

    const namedRevert = (error) => {
      const data = error?.data ?? error?.error?.data;
      for (const c of contracts) {
        try {
          const parsed = c.interface.parseError(data);
          if (parsed) return parsed.name;
        } catch {
          // not this contract's error
        }
      }
      throw error;
    };
    const send = async (op, fn) => {
      try {
        const receipt = await (await fn()).wait();
        expect(receipt.gasUsed, `gas of ${op}`).to.be.at.most(GAS_BOUND);
        maxGas[op] = Math.max(maxGas[op] ?? 0, Number(receipt.gasUsed));
        counts[op] = (counts[op] ?? 0) + 1;
        return receipt;
      } catch (error) {
        if (error?.name === "AssertionError") throw error;
        const name = namedRevert(error);
        counts[`${op}:${name}`] = (counts[`${op}:${name}`] ?? 0) + 1;
        return null;
      }
    };

    // Chain-level checks after every operation that touched `id`.
    const checkChain = async (id, rotation) => {
      const chain = await ctx.manager.getChain(id);
      const model = chains.get(String(id));
      model.status = chain.status;
      if (chain.status !== 1n) {
        if (chain.status === 3n) expect(chain.members.length, "a pending chain has no members").to.equal(0);
        return chain;
      }
      const members = chain.members.map(String);
      expect(members.length, "chain keeps its size").to.equal(model.size);
      expect(new Set(members).size, "no node twice in a chain").to.equal(members.length);
      const seats = new Map();
      for (const m of members) seats.set(validatorOf.get(m), (seats.get(validatorOf.get(m)) ?? 0) + 1);
      expect(Math.max(...seats.values()), "at most f seats per validator").to.be.at.most(capOf(model.size));
      if (rotation) {
        // The joining node's validator had no seat among the others whenever a validator without a seat had an
        // eligible node that was not a past member... at the least it had fewer than f.
        const others = members.filter((m) => m !== String(rotation.joiningNode));
        const joinerValidator = validatorOf.get(String(rotation.joiningNode));
        const othersSeats = others.filter((m) => validatorOf.get(m) === joinerValidator).length;
        expect(othersSeats, "the joiner's validator stays within f seats").to.be.below(capOf(model.size));
        if (othersSeats > 0) {
          // A repeated validator is allowed only when no validator without a seat had an eligible node.
          const used = new Set(others.map((m) => validatorOf.get(m)));
          for (const n of ctx.nodeList) {
            if (used.has(String(n.validator.id)) || members.includes(String(n.id)) || n.id === rotation.leavingNode) continue;
            const v = await ctx.nodes.getNode(n.id);
            const eligible = v.status === 1n && !v.incompliant && v.freeUnits >= BigInt(model.units);
            expect(eligible, `node ${n.id} of a validator without a seat was eligible, yet validator ${joinerValidator} got a second seat`).to.equal(false);
          }
        }
      }
      if (model.members !== members.join(",")) {
        // Membership changed: every report about this chain starts over.
        for (const key of [...reports.keys()]) if (key.startsWith(`${id}:`)) reports.delete(key);
        model.members = members.join(",");
      }
      return chain;
    };
    const finalizeAndCheck = async (id) => {
      if ((await ctx.manager.pendingDraw(id)).kind === 0n) {
        await checkChain(id);
        return;
      }
      const before = (await ctx.manager.rotationsOf(id)).length;
      const receipt = await send("finalize", () => ctx.manager.connect(ctx.other).finalizeDraw(id));
      const rotations = await ctx.manager.rotationsOf(id);
      await checkChain(id, receipt && rotations.length > before ? rotations.at(-1) : undefined);
    };
    const liveChains = () => [...chains.keys()].map(BigInt);

    const fullCheck = async () => {
      const units = new Map();
      const active = new Set();
      for (const id of liveChains()) {
        const chain = await checkChain(id);
        units.set(String(id), Number(chain.unitsPerNode));
        if (chain.status === 1n) active.add(String(id));
        if (chain.status === 2n) {
          chains.delete(String(id));
          for (const key of [...reports.keys()]) if (key.startsWith(`${id}:`)) reports.delete(key);
        }
      }
      let eligible = 0n;
      const liveByValidator = new Map();
      for (const n of ctx.nodeList) {
        const v = await ctx.nodes.getNode(n.id);
        const placements = await ctx.nodes.placementsOf(n.id);
        const used = placements.reduce((s, p) => s + (units.get(String(p.chainId)) ?? 0), 0);
        expect(128 - Number(v.freeUnits), `used space of node ${n.id}`).to.equal(used);
        const slots = placements.map((p) => Number(p.slot));
        expect(new Set(slots).size, `distinct port slots on node ${n.id}`).to.equal(slots.length);
        for (const p of placements) expect(active.has(String(p.chainId)), "placement of a live chain").to.equal(true);
        if (v.status === 4n) expect(placements.length, "a Left node serves no chain").to.equal(0);
        else liveByValidator.set(String(v.validatorId), (liveByValidator.get(String(v.validatorId)) ?? 0) + 1);
        if (v.status === 1n && !v.incompliant && v.freeUnits > 0n) eligible += 1n;
      }
      expect(await ctx.nodes.eligibleNodeCount(1), "the selection index counts the eligible nodes").to.equal(eligible);
      const msr = await ctx.validators.minimumStakePerNode();
      for (const v of ctx.validatorList) {
        const record = await ctx.validators.getValidator(v.id);
        const live = liveByValidator.get(String(v.id)) ?? 0;
        expect(Number(record.activeNodes), `stake of validator ${v.id} reserved for its live nodes`).to.equal(live);
        expect(await ctx.validators.freeStake(v.id), "free stake").to.equal(record.stake > msr * BigInt(live) ? record.stake - msr * BigInt(live) : 0n);
      }
      const balance = await ethers.provider.getBalance(await ctx.manager.getAddress());
      expect(balance, "fees in = fees out + balance").to.equal((await ctx.manager.totalCollected()) - (await ctx.manager.totalWithdrawn()));
      const staked = await ethers.provider.getBalance(await ctx.validators.getAddress());
      expect(staked, "stake in = stake out + balance").to.equal((await ctx.validators.totalDeposited()) - (await ctx.validators.totalWithdrawn()));
    };

    // From the model, which checkChain keeps up to date after every operation that touches a chain.
    const activeIds = async () => liveChains().filter((id) => chains.get(String(id)).status === 1n);
    let chainCounter = 0;
    const operations = {
      create: async () => {
        const type = pick(Object.keys(TYPES));
        const [units, size] = TYPES[type];
        const name = `scale-${chainCounter++}`;
        const lifetime = pick([HOUR, DAY, 10 * DAY, 60 * DAY]);
        const price = await ctx.manager.priceOf(type, lifetime);
        const receipt = await send("create", () => ctx.manager.connect(ctx.developer).createSidechain(name, type, lifetime, options(), { value: price }));
        if (!receipt) return;
        const id = await ctx.manager.chainIdOf(name);
        chains.set(String(id), { size, units, members: "", status: 3n });
        await finalizeAndCheck(id);
      },
      rotate: async () => {
        await networkHelpers.time.increase(Math.floor(random() * DAY));
        const active = await activeIds();
        if (!active.length) return;
        const id = pick(active);
        await send("rotate", () => ctx.manager.rotate(id));
        await finalizeAndCheck(id);
      },
      exit: async () => {
        const node = pick(ctx.nodeList);
        const v = await ctx.nodes.getNode(node.id);
        if (v.status === 1n || v.status === 2n) await send("initiateExit", () => ctx.nodes.connect(node.wallet).initiateExit(node.id));
        const placements = await ctx.nodes.placementsOf(node.id);
        await send("processExit", () => ctx.manager.processExit(node.id, 1 + Math.floor(random() * 4)));
        for (const p of placements) await finalizeAndCheck(p.chainId);
      },
      report: async () => {
        const active = await activeIds();
        if (!active.length) return;
        const id = pick(active);
        const chain = await checkChain(id);
        const members = chain.members.map(String);
        const target = pick(members);
        const n = members.length;
        const key = `${id}:${target}`;
        const now = (await ethers.provider.getBlock("latest")).timestamp;
        const window = Number((await ctx.manager.parameters()).reportWindow);
        let model = reports.get(key);
        // A window that ended (with a margin for the next block's timestamp) starts over.
        if (model && now + 2 > model.start + window) model = undefined;
        model ??= { reporters: new Set(), validators: new Map(), start: undefined };
        for (let k = 0; k < 1 + Math.floor(random() * n); k++) {
          const reporter = pick(members.filter((m) => m !== target));
          if (!reporter || model.reporters.has(reporter)) continue;
          const receipt = await send("report", () => ctx.manager.connect(byId.get(reporter).wallet).reportDown(id, target));
          if (!receipt) break;
          model.reporters.add(reporter);
          model.start ??= (await ethers.provider.getBlock(receipt.blockNumber)).timestamp;
          const v = validatorOf.get(reporter);
          model.validators.set(v, Math.min(capOf(n), (model.validators.get(v) ?? 0) + 1));
          const expected = [...model.validators.values()].reduce((a, b) => a + b, 0);
          const event = receipt.logs.map((l) => { try { return ctx.manager.interface.parseLog(l); } catch { return null; } })
            .find((e) => e?.name === "NodeReportedDown");
          expect(Number(event.args.reports), "reports counted per validator, reset by every rotation").to.equal(expected);
          expect(Number(event.args.quorum)).to.equal(quorumOf(n));
          reports.set(key, model);
          if (expected >= quorumOf(n)) {
            counts.quorum = (counts.quorum ?? 0) + 1;
            reports.delete(key);
            await finalizeAndCheck(id);
            break;
          }
        }
      },
      maintenance: async () => {
        const node = pick(ctx.nodeList);
        const v = await ctx.nodes.getNode(node.id);
        await send("maintenance", () => ctx.nodes.connect(node.wallet).setMaintenance(node.id, v.status === 1n));
      },
      comply: async () => {
        const node = pick(ctx.nodeList);
        if ((await ctx.nodes.getNode(node.id)).incompliant) await send("clearIncompliant", () => ctx.nodes.setCompliance(node.id, false));
      },
      remove: async () => {
        const active = await activeIds();
        if (!active.length) return;
        const id = pick(active);
        if (random() < 0.4) await send("delete", () => ctx.manager.connect(ctx.developer).deleteSidechain(id));
        else {
          await networkHelpers.time.increase(Math.floor(random() * 2 * DAY));
          await send("expire", () => ctx.manager.removeExpired(id));
        }
        await checkChain(id);
      },
      money: async () => {
        const available = (await ctx.manager.totalCollected()) - (await ctx.manager.totalWithdrawn());
        await send("withdrawFees", () => ctx.manager.withdrawFees(ctx.other.address, available / 2n));
        const v = pick(ctx.validatorList);
        await send("requestWithdrawal", () => ctx.validators.connect(v.wallet).requestWithdrawal(ethers.parseEther(String(1 + Math.floor(random() * 50)))));
        await send("withdraw", () => ctx.validators.connect(v.wallet).withdraw());
      },
    };
    const weights = [["create", 6], ["rotate", 5], ["exit", 1], ["report", 4], ["maintenance", 2], ["comply", 1], ["remove", 2], ["money", 1]];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    for (let step = 0; step < OPERATIONS; step++) {
      let r = random() * total;
      const [op] = weights.find(([, w]) => (r -= w) < 0);
      await operations[op]();
      if ((step + 1) % FULL_CHECK_EVERY === 0) await fullCheck();
    }
    await fullCheck();
    for (const op of ["create", "finalize", "rotate", "report", "quorum", "delete", "expire", "initiateExit", "processExit"]) {
      expect(counts[op] ?? 0, `${op} succeeded`).to.be.greaterThan(0);
    }
    console.log(`      counts: ${JSON.stringify(counts)}`);
    console.log(`      max gas: ${JSON.stringify(maxGas)}`);
  });
});
