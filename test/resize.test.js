// Resizing a live chain (issue 16): resizeSidechain by the owner, paid or refunded for the remaining lifetime;
// units changed in place or members rotated out, members added by a draw, members removed.
import { expect } from "chai";
import { network } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { deployFixture, addNetwork, addValidators, addNode, createChain, options, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

const Kind = { None: 0n, Creation: 1n, Resize: 5n };
const RESIZE = 3n; // RotationReason.Resize
const LIFETIME = 30 * DAY;

/** 8 nodes of 8 validators and the extra types the tests resize to. */
async function eightNodes() {
  const ctx = await deployFixture(ethers);
  const net = await addNetwork(ctx, ethers, networkHelpers, 8, 8);
  await (await ctx.manager.setChainType("dev4x16", 16, 4, true)).wait();
  await (await ctx.manager.setChainType("dev6", 8, 6, true)).wait();
  await (await ctx.manager.setChainType("dev4x4", 4, 4, true)).wait();
  await (await ctx.manager.setChainType("dev2", 8, 2, true)).wait();
  await (await ctx.manager.setChainType("dev64", 8, 64, true)).wait();
  return { ...ctx, nodeList: net.nodes };
}

async function timestampOf(receipt) {
  return BigInt((await ethers.provider.getBlock(receipt.blockNumber)).timestamp);
}

/** The resize price rule: pricePerUnitSecond x (units' x nodes' - units x nodes) x (expiresAt - now). */
function priceDelta(ctx, before, after, remaining) {
  return ctx.settings.parameters.pricePerUnitSecond * (after - before) * remaining;
}

async function freeUnits(ctx, nodeId) {
  return (await ctx.nodes.getNode(nodeId)).freeUnits;
}

describe("resizeSidechain", function () {
  let ctx;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(eightNodes);
  });

  it("grows units in place when every member's node has them free: paid for the remaining lifetime, drawn in two steps", async function () {
    const chainId = await createChain(ctx, ctx.developer, "grow-units", "dev4", LIFETIME);
    const before = await ctx.manager.getChain(chainId);
    const balance = await ethers.provider.getBalance(await ctx.manager.getAddress());
    // Send more than needed: the excess comes back.
    const tx = await ctx.manager.connect(ctx.developer).resizeSidechain(chainId, "dev4x16", { value: ethers.parseEther("1") });
    const receipt = await tx.wait();
    const paid = priceDelta(ctx, 8n * 4n, 16n * 4n, before.expiresAt - (await timestampOf(receipt)));
    await expect(tx).to.emit(ctx.manager, "SidechainResizeRequested").withArgs(chainId, "dev4x16", 16, 4, paid, 0n, true);
    await expect(tx).to.emit(ctx.manager, "DrawRequested").withArgs(chainId, Kind.Resize, 0n, receipt.blockNumber);
    expect(await ethers.provider.getBalance(await ctx.manager.getAddress())).to.equal(balance + paid);
    const target = await ctx.manager.pendingResize(chainId);
    expect([target.unitsPerNode, target.nodeCount, target.typeName]).to.deep.equal([16n, 4n, "dev4x16"]);
    // Nothing changes before the draw is finalized.
    expect((await ctx.manager.getChain(chainId)).unitsPerNode).to.equal(8n);

    const fin = ctx.manager.finalizeDraw(chainId);
    await expect(fin).to.emit(ctx.manager, "SidechainResized").withArgs(chainId, "dev4x16", 16, before.members, 1);
    await expect(fin).not.to.emit(ctx.manager, "NodeRotated");
    const after = await ctx.manager.getChain(chainId);
    expect(after.members).to.deep.equal(before.members);
    expect([after.unitsPerNode, after.typeName]).to.deep.equal([16n, "dev4x16"]);
    for (const m of after.members) {
      expect(await freeUnits(ctx, m)).to.equal(128n - 16n);
      const placed = (await ctx.manager.chainsOfNode(m)).find((c) => c.chainId === chainId);
      expect(placed.unitsPerNode).to.equal(16n);
    }
    expect((await ctx.manager.pendingDraw(chainId)).kind).to.equal(Kind.None);
    expect((await ctx.manager.rotationsOf(chainId)).length).to.equal(0);
    // The price of extending the lifetime follows the new size.
    const perUnitSecond = ctx.settings.parameters.pricePerUnitSecond;
    await expect(ctx.manager.connect(ctx.developer).extendLifetime(chainId, 3600, { value: perUnitSecond * 64n * 3600n }))
      .to.emit(ctx.manager, "SidechainLifetimeExtended").withArgs(chainId, anyValue, perUnitSecond * 64n * 3600n);
  });

  it("rotates out a member whose node cannot grow, for a node drawn as in a rotation", async function () {
    // 4 nodes of 4 validators take a dev4 chain; a 1-unit chain on one of them leaves it 119 free units, short of
    // the 120 more a 128-unit type needs. Four more nodes (new validators) can take the full 128.
    const c = await deployFixture(ethers);
    const vs = await addValidators(c, ethers, networkHelpers, 8, ethers.parseEther("100"), "rot");
    const first = [];
    for (let i = 0; i < 4; i++) first.push(await addNode(c, ethers, networkHelpers, vs[i], 500 + i));
    await (await c.manager.setChainType("one", 1, 1, true)).wait();
    await (await c.manager.setChainType("full4", 128, 4, true)).wait();
    const chainId = await createChain(c, c.developer, "full", "dev4", LIFETIME);
    const small = await createChain(c, c.developer, "tiny", "one", LIFETIME);
    const busy = (await c.manager.getChain(small)).members[0];
    for (let i = 4; i < 8; i++) await addNode(c, ethers, networkHelpers, vs[i], 500 + i);
    const before = (await c.manager.getChain(chainId)).members;
    const newcomers = new Set((await Promise.all([504, 505, 506, 507].map((i) => c.nodes.nodeIdOf(
      new ethers.Wallet(ethers.id(`flotilla-test-node-${i}`)).address)))).map(String));

    await (await c.manager.connect(c.developer).resizeSidechain(chainId, "full4", { value: ethers.parseEther("10") })).wait();
    const fin = await c.manager.finalizeDraw(chainId);
    const receipt = await fin.wait();
    const now = await timestampOf(receipt);
    const after = (await c.manager.getChain(chainId)).members;
    const index = before.indexOf(busy);
    const joining = after[index];
    expect(newcomers.has(String(joining))).to.equal(true);
    await expect(fin).to.emit(c.manager, "NodeRotated")
      .withArgs(chainId, busy, joining, now, now + BigInt(c.settings.parameters.rotationDelay), RESIZE);
    await expect(fin).to.emit(c.manager, "SidechainResized").withArgs(chainId, "full4", 128, after, 1);
    // The other members grew in place and kept their index.
    for (let k = 0; k < 4; k++) {
      if (k === index) continue;
      expect(after[k]).to.equal(before[k]);
      expect(await freeUnits(c, after[k])).to.equal(0n);
    }
    expect(await freeUnits(c, joining)).to.equal(0n);
    // The busy node gave back its 8 units (its 1-unit chain stays) and is remembered as a recent leaver.
    expect(await freeUnits(c, busy)).to.equal(127n);
    expect(await c.nodes.wasMember(chainId, busy)).to.equal(true);
    expect(await c.nodes.recentLeaversOf(chainId)).to.deep.equal([busy]);
    const rotations = await c.manager.rotationsOf(chainId);
    expect(rotations.length).to.equal(1);
    expect([rotations[0].leavingNode, rotations[0].joiningNode, rotations[0].reason]).to.deep.equal([busy, joining, RESIZE]);
    // Its slot is held while its subnode serves; the member views give the joiner's slot.
    const views = await c.manager.membersOf(chainId);
    expect(views.map((v) => v.nodeId)).to.deep.equal(after);
  });

  it("grows members: new members drawn as at creation, one per validator while possible", async function () {
    const chainId = await createChain(ctx, ctx.developer, "grow-members", "dev4", LIFETIME);
    const before = (await ctx.manager.getChain(chainId)).members;
    const expiresAt = (await ctx.manager.getChain(chainId)).expiresAt;
    const request = await (await ctx.manager.connect(ctx.developer).resizeSidechain(chainId, "dev6", { value: ethers.parseEther("1") })).wait();
    const paid = priceDelta(ctx, 32n, 48n, expiresAt - (await timestampOf(request)));
    expect(await ctx.manager.totalCollected()).to.equal(await ctx.manager.priceOf("dev4", LIFETIME) + paid);
    // A request cannot be finalized in its own block; the next block can.
    const fin = await ctx.manager.finalizeDraw(chainId);
    const receipt = await fin.wait();
    const after = (await ctx.manager.getChain(chainId)).members;
    expect(after.length).to.equal(6);
    expect(after.slice(0, 4)).to.deep.equal(before);
    const joined = after.slice(4);
    const now = await timestampOf(receipt);
    for (const j of joined) {
      expect(before).not.to.include(j);
      await expect(fin).to.emit(ctx.manager, "NodeRotated")
        .withArgs(chainId, 0n, j, now, now + BigInt(ctx.settings.parameters.rotationDelay), RESIZE);
      expect(await freeUnits(ctx, j)).to.equal(120n);
      expect((await ctx.manager.chainsOfNode(j)).map((c) => c.chainId)).to.include(chainId);
    }
    await expect(fin).to.emit(ctx.manager, "SidechainResized").withArgs(chainId, "dev6", 8, after, 1);
    const owners = await Promise.all(after.map((m) => ctx.nodes.validatorOf(m)));
    expect(new Set(owners.map(String)).size).to.equal(6);
    // Liveness counting follows the new size (quorum of 6 is 4).
    expect(await ctx.manager.quorumOf(after.length)).to.equal(4n);
  });

  it("shrinks members and units at once, refunding the difference: the validator with most seats loses its latest member", async function () {
    // 7 nodes of 5 validators (validators 0 and 1 hold two each): a 7-node chain takes them all (f = 2).
    const c = await deployFixture(ethers);
    const vs = await addValidators(c, ethers, networkHelpers, 5, ethers.parseEther("100"), "shr");
    for (let i = 0; i < 7; i++) await addNode(c, ethers, networkHelpers, vs[i % 5], 600 + i);
    await (await c.manager.setChainType("dev7", 8, 7, true)).wait();
    await (await c.manager.setChainType("dev5x4", 4, 5, true)).wait();
    const chainId = await createChain(c, c.developer, "shrink", "dev7", LIFETIME);
    const chain = await c.manager.getChain(chainId);
    const before = chain.members;
    const owners = await Promise.all(before.map((m) => c.nodes.validatorOf(m)));
    // Expected: validators 1 and 2 (ids) hold two seats each; each loses the member at the higher index.
    const removedExpected = [];
    for (const v of new Set(owners.map(String))) {
      const idx = owners.map(String).map((o, k) => (o === v ? k : -1)).filter((k) => k >= 0);
      if (idx.length === 2) removedExpected.push(before[idx[1]]);
    }
    expect(removedExpected.length).to.equal(2);
    // Both validators hold two seats: the later member of the two goes first.
    removedExpected.sort((a, b) => before.indexOf(b) - before.indexOf(a));

    const managerAddress = await c.manager.getAddress();
    const balance = await ethers.provider.getBalance(managerAddress);
    const collected = await c.manager.totalCollected();
    const tx = await c.manager.connect(c.developer).resizeSidechain(chainId, "dev5x4");
    const receipt = await tx.wait();
    const now = await timestampOf(receipt);
    const refunded = priceDelta(c, 4n * 5n, 8n * 7n, chain.expiresAt - now);
    await expect(tx).to.emit(c.manager, "SidechainResizeRequested").withArgs(chainId, "dev5x4", 4, 5, 0n, refunded, false);
    await expect(tx).not.to.emit(c.manager, "DrawRequested");
    expect(await ethers.provider.getBalance(managerAddress)).to.equal(balance - refunded);
    expect(await c.manager.totalCollected()).to.equal(collected - refunded);

    const after = (await c.manager.getChain(chainId)).members;
    const kept = before.filter((m) => !removedExpected.includes(m));
    expect(after).to.deep.equal(kept);
    await expect(tx).to.emit(c.manager, "SidechainResized").withArgs(chainId, "dev5x4", 4, kept, 1);
    const finishAt = now + BigInt(c.settings.parameters.rotationDelay);
    for (const r of removedExpected) {
      await expect(tx).to.emit(c.manager, "NodeRotated").withArgs(chainId, r, 0n, now, finishAt, RESIZE);
      expect(await freeUnits(c, r)).to.equal(128n);
      expect(await c.manager.chainsOfNode(r)).to.deep.equal([]);
    }
    for (const k of kept) expect(await freeUnits(c, k)).to.equal(124n);
    const keptOwners = await Promise.all(kept.map((m) => c.nodes.validatorOf(m)));
    expect(new Set(keptOwners.map(String)).size).to.equal(5);
    // The removed members serve until finishAt: their rotation records say so.
    const rotations = await c.manager.rotationsOf(chainId);
    expect(rotations.map((r) => [r.leavingNode, r.joiningNode, r.finishAt, r.reason]))
      .to.deep.equal(removedExpected.map((r) => [r, 0n, finishAt, RESIZE]));
  });

  it("refuses with named errors", async function () {
    const chainId = await createChain(ctx, ctx.developer, "errors", "dev4", LIFETIME);
    const m = ctx.manager;
    await expect(m.connect(ctx.other).resizeSidechain(chainId, "dev6", { value: ethers.parseEther("1") }))
      .to.be.revertedWithCustomError(m, "NotChainOwner").withArgs(chainId, ctx.other.address);
    await expect(m.connect(ctx.developer).resizeSidechain(99, "dev6")).to.be.revertedWithCustomError(m, "UnknownChain").withArgs(99);
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "nope")).to.be.revertedWithCustomError(m, "UnknownChainType").withArgs("nope");
    await (await m.setChainType("off", 8, 6, false)).wait();
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "off")).to.be.revertedWithCustomError(m, "UnknownChainType").withArgs("off");
    // Another type of the same size is no resize.
    await (await m.setChainType("dev4b", 8, 4, true)).wait();
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev4b"))
      .to.be.revertedWithCustomError(m, "SameChainSize").withArgs(chainId, "dev4b", 8, 4);
    // 2 of 4 is below the quorum of 4 (3).
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev2"))
      .to.be.revertedWithCustomError(m, "ShrinkBelowQuorum").withArgs(chainId, 2, 3);
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev6", { value: 1n }))
      .to.be.revertedWithCustomError(m, "InsufficientPayment").withArgs(1n, anyValue);
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev64", { value: ethers.parseEther("10") }))
      .to.be.revertedWithCustomError(m, "NotEnoughNodes").withArgs("dev64", 60, 8);
    // One draw at a time.
    await (await m.connect(ctx.developer).resizeSidechain(chainId, "dev6", { value: ethers.parseEther("1") })).wait();
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev4x16", { value: ethers.parseEther("1") }))
      .to.be.revertedWithCustomError(m, "DrawPending").withArgs(chainId, Kind.Resize, anyValue);
    await (await m.finalizeDraw(chainId)).wait();
    // A shrink's refund needs fees the treasurer has not withdrawn.
    await (await m.withdrawFees(ctx.admin.address, await m.totalCollected())).wait();
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev4"))
      .to.be.revertedWithCustomError(m, "InsufficientFees").withArgs(anyValue, 0n);
    // Pending and expired chains.
    const price = await m.priceOf("dev4", LIFETIME);
    await (await m.connect(ctx.developer).createSidechain("pending", "dev4", LIFETIME, options(), { value: price })).wait();
    const pending = await m.chainIdOf("pending");
    await expect(m.connect(ctx.developer).resizeSidechain(pending, "dev6")).to.be.revertedWithCustomError(m, "ChainNotActive").withArgs(pending);
    await networkHelpers.time.increase(LIFETIME + 1);
    await expect(m.connect(ctx.developer).resizeSidechain(chainId, "dev4x16"))
      .to.be.revertedWithCustomError(m, "ChainExpired").withArgs(chainId, anyValue);
  });

  it("cancels a resize draw when the chain expires before it is finalized", async function () {
    const chainId = await createChain(ctx, ctx.developer, "late", "dev4", 2 * 3600);
    await (await ctx.manager.connect(ctx.developer).resizeSidechain(chainId, "dev6", { value: ethers.parseEther("1") })).wait();
    await networkHelpers.time.increase(3 * 3600);
    await expect(ctx.manager.finalizeDraw(chainId)).to.emit(ctx.manager, "DrawCancelled").withArgs(chainId, Kind.Resize);
    expect((await ctx.manager.getChain(chainId)).members.length).to.equal(4);
  });

  it("a resize whose draw finds no nodes holds nobody hostage: the owner cancels it with a refund, anybody after 256 blocks", async function () {
    const m = ctx.manager;
    const chainId = await createChain(ctx, ctx.developer, "stuck", "dev4", LIFETIME);
    const members = (await m.getChain(chainId)).members.map((id) => BigInt(id));
    const others = ctx.nodeList.filter((n) => !members.includes(BigInt(n.id)));
    const grow = async () => {
      const tx = await m.connect(ctx.developer).resizeSidechain(chainId, "dev6", { value: ethers.parseEther("1") });
      const receipt = await tx.wait();
      const [event] = await m.queryFilter(m.filters.SidechainResizeRequested(chainId), receipt.blockNumber, receipt.blockNumber);
      return { receipt, paid: event.args.paid };
    };
    // Every node that could join goes into maintenance after the request: the draw cannot complete.
    let { receipt, paid } = await grow();
    for (const n of others) await (await ctx.nodes.connect(n.wallet).setMaintenance(n.id, true)).wait();
    await expect(m.finalizeDraw(chainId)).to.be.revertedWithCustomError(ctx.nodes, "NotEnoughEligibleNodes");
    // While it is pending, a dead member cannot be reported down.
    const reporter = ctx.nodeList.find((n) => BigInt(n.id) === members[0]);
    await expect(m.connect(reporter.wallet).reportDown(chainId, members[1])).to.be.revertedWithCustomError(m, "DrawPending");

    // A stranger cannot cancel it early...
    const cancellableFrom = BigInt(receipt.blockNumber) + 256n;
    await expect(m.connect(ctx.admin).cancelResize(chainId))
      .to.be.revertedWithCustomError(m, "ResizeNotCancellable").withArgs(chainId, ctx.admin.address, cancellableFrom);
    // ...the owner can, and gets back what the resize cost.
    const collected = await m.totalCollected();
    const balance = await ethers.provider.getBalance(ctx.developer.address);
    const tx = await m.connect(ctx.developer).cancelResize(chainId);
    const cancelled = await tx.wait();
    expect(await ethers.provider.getBalance(ctx.developer.address)).to.equal(balance + paid - cancelled.gasUsed * cancelled.gasPrice);
    await expect(tx).to.emit(m, "SidechainResizeCancelled").withArgs(chainId, ctx.developer.address, paid);
    await expect(tx).to.emit(m, "DrawCancelled").withArgs(chainId, Kind.Resize);
    expect(await m.totalCollected()).to.equal(collected - paid);
    expect((await m.pendingDraw(chainId)).kind).to.equal(Kind.None);
    expect((await m.getChain(chainId)).members.length).to.equal(4);
    await expect(m.connect(ctx.developer).cancelResize(chainId)).to.be.revertedWithCustomError(m, "NoPendingDraw").withArgs(chainId);

    // Stuck again and the owner does nothing: after 256 blocks anybody cancels; the payment still goes to the owner.
    for (const n of others) await (await ctx.nodes.connect(n.wallet).setMaintenance(n.id, false)).wait();
    ({ receipt, paid } = await grow());
    for (const n of others) await (await ctx.nodes.connect(n.wallet).setMaintenance(n.id, true)).wait();
    await networkHelpers.mine(256);
    const ownerBalance = await ethers.provider.getBalance(ctx.developer.address);
    const late = await m.connect(ctx.admin).cancelResize(chainId);
    await late.wait();
    expect(await ethers.provider.getBalance(ctx.developer.address)).to.equal(ownerBalance + paid);
    await expect(late).to.emit(m, "SidechainResizeCancelled").withArgs(chainId, ctx.admin.address, paid);
    // The members can report again.
    await expect(m.connect(reporter.wallet).reportDown(chainId, members[1])).to.emit(m, "NodeReportedDown");
  });
});
