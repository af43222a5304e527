// Random operation sequences against the real contracts, with the network's invariants checked after
// every operation. Operations that the contracts refuse must be refused with a named custom error.
import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, addNode, options, HOUR, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

// Small networks (40 nodes, 6 validators); test/invariants-scale.test.js covers hundreds of nodes.
const SEEDS = [1, 2];
const OPERATIONS_PER_SEED = 260;
const TYPES = { dev4: [8, 4], trio: [40, 3], small5: [1, 5], big4: [64, 4] };

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

async function invariantFixture() {
  const ctx = await deployFixture(ethers);
  await ctx.manager.setParameters({ ...ctx.settings.parameters, rotationPeriod: DAY, rotationDelay: HOUR });
  await ctx.validators.setUnbondingDelay(DAY);
  await ctx.manager.setChainType("trio", 40, 3, true);
  await ctx.manager.setChainType("small5", 1, 5, true);
  await ctx.manager.setChainType("big4", 64, 4, true);
  return ctx;
}

describe("Invariants over random operation sequences", function () {
  for (const seed of SEEDS) {
    it(`hold over ${OPERATIONS_PER_SEED} random operations (seed ${seed})`, async function () {
      const ctx = await networkHelpers.loadFixture(invariantFixture);
      const random = prng(seed);
      const pick = (list) => list[Math.floor(random() * list.length)];
      const contracts = [ctx.manager, ctx.nodes, ctx.validators, ctx.images];
      const validators = await addValidators(ctx, ethers, networkHelpers, 6, ethers.parseEther("100"), `inv${seed}-v`);
      const nodes = [];
      let nodeIndex = seed * 1000;
      const chainIds = [];
      const counts = {};

      const addOne = async () => {
        try {
          nodes.push(await addNode(ctx, ethers, networkHelpers, pick(validators), nodeIndex++));
          counts.register = (counts.register ?? 0) + 1;
        } catch (error) {
          // A validator that withdrew stake may no longer cover the MSR of one more node.
          const name = namedRevert(error);
          counts[`register:${name}`] = (counts[`register:${name}`] ?? 0) + 1;
        }
      };
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
      for (let i = 0; i < 10; i++) await addOne();

      const attempt = async (op, fn) => {
        try {
          await (await fn()).wait();
          counts[op] = (counts[op] ?? 0) + 1;
        } catch (error) {
          const name = namedRevert(error);
          counts[`${op}:${name}`] = (counts[`${op}:${name}`] ?? 0) + 1;
        }
      };
      const activeChains = async () => {
        const out = [];
        for (const id of chainIds) if ((await ctx.manager.getChain(id)).status === 1n) out.push(id);
        return out;
      };
      const finalizePending = async () => {
        for (const id of chainIds) {
          if ((await ctx.manager.pendingDraw(id)).kind !== 0n) await attempt("finalize", () => ctx.manager.connect(ctx.other).finalizeDraw(id));
        }
      };
      const views = async () => Promise.all(nodes.map((n) => ctx.nodes.getNode(n.id)));

      const operations = {
        register: async () => {
          if (nodes.length < 40) await addOne();
        },
        create: async () => {
          const type = pick(Object.keys(TYPES));
          const [units, size] = TYPES[type];
          // Diversity is feasible when enough validators have an eligible node with the space.
          const eligible = (await views()).filter((v) => v.status === 1n && !v.incompliant && v.freeUnits >= BigInt(units));
          const feasible = new Set(eligible.map((v) => String(v.validatorId))).size >= size;
          const name = `s${seed}-c${chainIds.length}-${Math.floor(random() * 1e6)}`;
          const lifetime = pick([HOUR, DAY, 10 * DAY]);
          const price = await ctx.manager.priceOf(type, lifetime);
          await attempt("create", () =>
            ctx.manager.connect(ctx.developer).createSidechain(name, type, lifetime, options(), { value: price + 7n }),
          );
          const id = await ctx.manager.chainIdOf(name);
          if (id !== 0n) await attempt("finalize", () => ctx.manager.connect(ctx.other).finalizeDraw(id));
          if (id !== 0n && (await ctx.manager.getChain(id)).status === 1n) {
            chainIds.push(id);
            if (feasible) {
              const members = (await ctx.manager.getChain(id)).members;
              const owners = await Promise.all(members.map(async (m) => (await ctx.nodes.getNode(m)).validatorId));
              expect(new Set(owners.map(String)).size, "validator diversity").to.equal(size);
            }
          }
        },
        exit: async () => {
          const node = pick(nodes);
          const status = (await ctx.nodes.getNode(node.id)).status;
          if (status === 1n || status === 2n) await attempt("initiateExit", () => ctx.nodes.connect(node.wallet).initiateExit(node.id));
          await attempt("processExit", () => ctx.manager.processExit(node.id, 1 + Math.floor(random() * 3)));
          await finalizePending();
        },
        maintenance: async () => {
          const node = pick(nodes);
          const status = (await ctx.nodes.getNode(node.id)).status;
          await attempt("maintenance", () => ctx.nodes.connect(node.wallet).setMaintenance(node.id, status === 1n));
        },
        rotate: async () => {
          await networkHelpers.time.increase(Math.floor(random() * 2 * DAY));
          const active = await activeChains();
          if (active.length) await attempt("rotate", () => ctx.manager.rotate(pick(active)));
          await finalizePending();
        },
        report: async () => {
          const active = await activeChains();
          if (!active.length) return;
          const chainId = pick(active);
          const members = (await ctx.manager.getChain(chainId)).members;
          const target = pick(members);
          const reporter = nodes.find((n) => n.id === pick(members.filter((m) => m !== target)));
          if (reporter) await attempt("report", () => ctx.manager.connect(reporter.wallet).reportDown(chainId, target));
          await finalizePending();
        },
        remove: async () => {
          const active = await activeChains();
          if (!active.length) return;
          const chainId = pick(active);
          if (random() < 0.5) {
            await attempt("delete", () => ctx.manager.connect(ctx.developer).deleteSidechain(chainId));
          } else {
            await networkHelpers.time.increase(Math.floor(random() * DAY));
            await attempt("expire", () => ctx.manager.removeExpired(chainId));
          }
        },
        // Issue 16: the owner resizes a live chain to a random type (refusals count too); the checks below then
        // hold the units and members of the new size.
        resize: async () => {
          const active = await activeChains();
          if (!active.length) return;
          const chainId = pick(active);
          const type = pick(Object.keys(TYPES));
          await attempt("resize", () => ctx.manager.connect(ctx.developer).resizeSidechain(chainId, type, { value: ethers.parseEther("5") }));
          await finalizePending();
          const chain = await ctx.manager.getChain(chainId);
        },
        money: async () => {
          const available = (await ctx.manager.totalCollected()) - (await ctx.manager.totalWithdrawn());
          await attempt("withdrawFees", () => ctx.manager.withdrawFees(ctx.other.address, available / 2n + (random() < 0.2 ? available : 0n)));
          const v = pick(validators);
          await attempt("requestWithdrawal", () => ctx.validators.connect(v.wallet).requestWithdrawal(ethers.parseEther(String(1 + Math.floor(random() * 40)))));
          await attempt("withdraw", () => ctx.validators.connect(v.wallet).withdraw());
        },
      };
      const weights = [
        ["register", 1], ["create", 4], ["exit", 1], ["maintenance", 2], ["rotate", 2], ["report", 3], ["remove", 2], ["money", 1],
        ["resize", 2],
      ];
      const total = weights.reduce((s, [, w]) => s + w, 0);

      const check = async () => {
        const active = new Set((await activeChains()).map(String));
        const units = new Map();
        for (const id of chainIds) {
          const chain = await ctx.manager.getChain(id);
          units.set(String(id), Number(chain.unitsPerNode));
          if (chain.status === 3n) expect(chain.members.length, "a pending chain has no members yet").to.equal(0);
          if (chain.status !== 1n) continue;
          // The size of its type: a resize draw may complete in any later operation's finalizeDraw, never half.
          const [typeUnits, typeSize] = TYPES[chain.typeName];
          expect(chain.members.length, `chain ${id} has the member count of its type ${chain.typeName}`).to.equal(typeSize);
          expect(Number(chain.unitsPerNode), `chain ${id} has the units of its type ${chain.typeName}`).to.equal(typeUnits);
          expect(new Set(chain.members.map(String)).size, "no node twice in a chain").to.equal(chain.members.length);
          for (const m of chain.members) {
            const placed = (await ctx.nodes.placementsOf(m)).map((p) => String(p.chainId));
            expect(placed, "member holds a placement").to.include(String(id));
          }
        }
        let eligible = 0n;
        for (const n of nodes) {
          const v = await ctx.nodes.getNode(n.id);
          const placements = await ctx.nodes.placementsOf(n.id);
          const used = placements.reduce((s, p) => s + units.get(String(p.chainId)), 0);
          expect(128 - Number(v.freeUnits), `used space of node ${n.id}`).to.equal(used);
          for (const p of placements) expect(active.has(String(p.chainId)), "placement of a live chain").to.equal(true);
          if (v.status === 4n) expect(placements.length, "Left node serves no chain").to.equal(0);
          if (v.status === 1n && !v.incompliant && v.freeUnits > 0n) eligible += 1n;
        }
        expect(await ctx.nodes.eligibleNodeCount(1), "index counts eligible nodes").to.equal(eligible);
        const managerBalance = await ethers.provider.getBalance(await ctx.manager.getAddress());
        expect(managerBalance, "fees in = fees out + balance").to.equal((await ctx.manager.totalCollected()) - (await ctx.manager.totalWithdrawn()));
        const validatorBalance = await ethers.provider.getBalance(await ctx.validators.getAddress());
        expect(validatorBalance, "stake in = stake out + balance").to.equal((await ctx.validators.totalDeposited()) - (await ctx.validators.totalWithdrawn()));
      };

      for (let step = 0; step < OPERATIONS_PER_SEED; step++) {
        let r = random() * total;
        const [op] = weights.find(([, w]) => (r -= w) < 0);
        await operations[op]();
        await check();
      }
      // The run exercised the interesting paths, not only refusals.
      for (const op of ["create", "rotate", "delete", "initiateExit", "resize"]) expect(counts[op] ?? 0, `${op} succeeded`).to.be.greaterThan(0);
      console.log(`      seed ${seed}: ${JSON.stringify(counts)}`);
    });
  }
});
