// Randomness nobody can grind (issue 14): every draw is requested first and finalized from a later block with
// the hash of the block fixed by the request, so neither the finalizer nor the moment of finalizing changes it.
import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, addNode, createChain, finalize, options, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
const Kind = { None: 0n, Creation: 1n, NodeExit: 2n, Periodic: 3n, Liveness: 4n };

async function attackFixture() {
  const ctx = await deployFixture(ethers);
  // 12 honest validators with one node each, and a dev4 chain on them.
  const honest = await addValidators(ctx, ethers, networkHelpers, 12, ethers.parseEther("100"), "honest");
  for (let i = 0; i < 12; i++) await addNode(ctx, ethers, networkHelpers, honest[i], 500 + i);
  const chainId = await createChain(ctx, ctx.developer, "victim");
  // The attacker then adds 4 validators (4 ETH of stake for 4 nodes) and a contract that grinds.
  const evil = await addValidators(ctx, ethers, networkHelpers, 4, ethers.parseEther("1"), "evil");
  for (let i = 0; i < 4; i++) await addNode(ctx, ethers, networkHelpers, evil[i], 600 + i);
  const attacker = await ethers.deployContract("RotationAttacker", [
    await ctx.manager.getAddress(), await ctx.nodes.getAddress(), evil.map((v) => v.id),
  ]);
  await ctx.manager.setParameters({ ...ctx.settings.parameters, rotationPeriod: 1, rotationDelay: 1 });
  return { ...ctx, chainId, attacker, evilIds: new Set(evil.map((v) => String(v.id))) };
}

describe("Randomness", function () {
  it("cannot be finalized in the transaction (or block) that requests it", async function () {
    const ctx = await networkHelpers.loadFixture(attackFixture);
    await networkHelpers.time.increase(2);
    await expect(ctx.attacker.rotateAndFinalize(ctx.chainId)).to.be.revertedWithCustomError(ctx.manager, "DrawNotReady");
  });

  it("gives a grinding attacker no seat faster than chance: every outcome is the one any finalizer gets", async function () {
    this.timeout(600000);
    const ctx = await networkHelpers.loadFixture(attackFixture);
    const [, , , honestFinalizer] = await ethers.getSigners();
    const seatsOfAttacker = async () => {
      let seats = 0;
      for (const m of (await ctx.manager.getChain(ctx.chainId)).members) {
        if (ctx.evilIds.has(String(await ctx.nodes.validatorOf(m)))) seats++;
      }
      return seats;
    };
    const ROUNDS = 40;
    let gains = 0;
    let seatSum = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await networkHelpers.time.increase(2);
      await (await ctx.attacker.rotate(ctx.chainId)).wait();
      // What an honest agent gets when it finalizes first...
      const snapshot = await networkHelpers.takeSnapshot();
      await finalize(ctx, ctx.chainId, honestFinalizer);
      const reference = (await ctx.manager.rotationsOf(ctx.chainId)).at(-1);
      await snapshot.restore();
      // ...is what comes out after the attacker's attempts over several blocks, whoever finalizes.
      let attackerFinalized = false;
      for (let attempt = 0; attempt < 3 && !attackerFinalized; attempt++) {
        try {
          await (await ctx.attacker.finalizeIfGain(ctx.chainId)).wait();
          attackerFinalized = true;
          gains++;
        } catch (error) {
          expect(ctx.attacker.interface.parseError(error.data)?.name).to.equal("NoGain");
          await networkHelpers.mine(1 + attempt);
        }
      }
      if (!attackerFinalized) await finalize(ctx, ctx.chainId, honestFinalizer);
      const outcome = (await ctx.manager.rotationsOf(ctx.chainId)).at(-1);
      expect([outcome.leavingNode, outcome.joiningNode]).to.deep.equal([reference.leavingNode, reference.joiningNode]);
      seatSum += await seatsOfAttacker();
    }
    // By chance a joiner is one of the attacker's 4 nodes with probability at most 4/12 and an honest member
    // leaves with probability at most 1: the attacker "gains" in at most a third of rounds on average (13.3 of
    // 40, sd 3). Its average seat count stays near 4 x 4/16 = 1 (its 4 nodes among 16); grinding, it took all 4.
    expect(gains, "rounds where the attacker's finalize was allowed to succeed").to.be.at.most(22);
    expect(seatSum / ROUNDS, "the attacker's average seats out of 4").to.be.at.most(2);
    console.log(`      attacker: ${gains}/${ROUNDS} favourable rounds, ${(seatSum / ROUNDS).toFixed(2)} seats of 4 on average`);
  });

  it("selects uniformly: chi-square of 1,600 picks over 40 equal nodes stays below the 0.1% critical value", async function () {
    this.timeout(600000);
    const ctx = await deployFixture(ethers);
    const vs = await addValidators(ctx, ethers, networkHelpers, 40, ethers.parseEther("2"), "uniform");
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push(String((await addNode(ctx, ethers, networkHelpers, vs[i], 800 + i)).id));
    const picks = new Map(ids.map((id) => [id, 0]));
    for (let k = 0; k < 100; k++) {
      const id = await createChain(ctx, ctx.developer, `u-${k}`, "small", DAY);
      for (const m of (await ctx.manager.getChain(id)).members) picks.set(String(m), picks.get(String(m)) + 1);
      await ctx.manager.connect(ctx.developer).deleteSidechain(id);
    }
    const expected = (100 * 16) / 40;
    const chiSquare = [...picks.values()].reduce((s, o) => s + ((o - expected) ** 2) / expected, 0);
    // 39 degrees of freedom: P(chi2 > 72.05) = 0.001. Drawing within a chain without replacement only lowers it.
    expect(chiSquare).to.be.below(72.05);
    expect(Math.min(...picks.values())).to.be.greaterThan(0);
    console.log(`      chi-square ${chiSquare.toFixed(1)} (39 degrees of freedom) over ${100 * 16} picks`);
  });

  it("re-arms a draw whose seed block left the 256-block window, and then draws from the new block", async function () {
    const ctx = await networkHelpers.loadFixture(attackFixture);
    await networkHelpers.time.increase(2);
    const request = await (await ctx.manager.rotate(ctx.chainId)).wait();
    await networkHelpers.mine(300);
    const rearm = await (await ctx.manager.finalizeDraw(ctx.chainId)).wait();
    await expect(rearm).to.emit(ctx.manager, "DrawRearmed").withArgs(ctx.chainId, request.blockNumber, rearm.blockNumber);
    expect((await ctx.manager.pendingDraw(ctx.chainId)).seedBlock).to.equal(BigInt(rearm.blockNumber));
    expect(await ctx.manager.rotationsOf(ctx.chainId)).to.have.length(0);
    await expect(ctx.manager.finalizeDraw(ctx.chainId)).to.emit(ctx.manager, "NodeRotated");
  });

  it("refuses to finalize what was not requested, and before the seed block has passed", async function () {
    const ctx = await networkHelpers.loadFixture(attackFixture);
    await expect(ctx.manager.finalizeDraw(ctx.chainId)).to.be.revertedWithCustomError(ctx.manager, "NoPendingDraw").withArgs(ctx.chainId);
    await expect(ctx.manager.finalizeDraw(999n)).to.be.revertedWithCustomError(ctx.manager, "NoPendingDraw").withArgs(999n);
  });

  it("lets a liveness quorum supersede a pending periodic rotation, and cancels a periodic one of an expired chain", async function () {
    const ctx = await networkHelpers.loadFixture(attackFixture);
    await networkHelpers.time.increase(2);
    await ctx.manager.rotate(ctx.chainId);
    const members = (await ctx.manager.getChain(ctx.chainId)).members;
    const signerOf = async (nodeId) => {
      for (let i = 500; i < 512; i++) {
        const w = new ethers.Wallet(ethers.id(`flotilla-test-node-${i}`), ethers.provider);
        if ((await ctx.nodes.nodeIdOf(w.address)) === nodeId) return w;
      }
      throw new Error(`no wallet for node ${nodeId}`);
    };
    const [target, ...reporters] = members;
    for (const r of reporters.slice(0, 2)) await ctx.manager.connect(await signerOf(r)).reportDown(ctx.chainId, target);
    const last = ctx.manager.connect(await signerOf(reporters[2])).reportDown(ctx.chainId, target);
    await expect(last).to.emit(ctx.manager, "DrawCancelled").withArgs(ctx.chainId, Kind.Periodic);
    await expect(last).to.emit(ctx.manager, "DrawRequested").withArgs(ctx.chainId, Kind.Liveness, target, await ethers.provider.getBlockNumber() + 0);
    await expect(ctx.manager.finalizeDraw(ctx.chainId)).to.emit(ctx.manager, "NodeRotated").withArgs(ctx.chainId, target, anyJoin(), anyJoin(), anyJoin(), 2n);

    // A periodic rotation requested before expiry and finalized after it is cancelled.
    await networkHelpers.time.increase(2);
    await ctx.manager.rotate(ctx.chainId);
    const { expiresAt } = await ctx.manager.getChain(ctx.chainId);
    await networkHelpers.time.increaseTo(expiresAt);
    await expect(ctx.manager.finalizeDraw(ctx.chainId)).to.emit(ctx.manager, "DrawCancelled").withArgs(ctx.chainId, Kind.Periodic);
    await expect(ctx.manager.rotate(ctx.chainId)).to.be.revertedWithCustomError(ctx.manager, "ChainExpired").withArgs(ctx.chainId, expiresAt);
  });
});

function anyJoin() {
  return () => true;
}
