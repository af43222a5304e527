import { expect } from "chai";
import { network } from "hardhat";
import { anyValue } from "@nomicfoundation/hardhat-ethers-chai-matchers/withArgs";
import { deployFixture, addNetwork, addValidators, addNode, createChain, finalize, finalizeNode, options, DAY, DIGEST_2, SUBNODE } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

async function sixNodes() {
  const ctx = await deployFixture(ethers);
  const net = await addNetwork(ctx, ethers, networkHelpers, 6, 6);
  return { ...ctx, nodeList: net.nodes };
}

const Reason = { NodeExit: 0n, Periodic: 1n, Liveness: 2n };
const Kind = { None: 0n, Creation: 1n, NodeExit: 2n, Periodic: 3n, Liveness: 4n };
const LIFETIME = 30 * DAY;

describe("SidechainManager", function () {
  let ctx;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(sixNodes);
  });

  const byId = (id) => ctx.nodeList.find((n) => n.id === id);

  describe("chain types and prices", function () {
    it("ships small, medium, large and dev4", async function () {
      expect(await ctx.manager.chainTypeNames()).to.deep.equal(["small", "medium", "large", "dev4"]);
      const expected = { small: [1n, 16n], medium: [16n, 16n], large: [128n, 16n], dev4: [8n, 4n] };
      for (const [name, [units, count]] of Object.entries(expected)) {
        const t = await ctx.manager.chainType(name);
        expect([t.unitsPerNode, t.nodeCount]).to.deep.equal([units, count]);
      }
    });

    it("prices units x nodes x lifetime", async function () {
      const perUnitSecond = ctx.settings.parameters.pricePerUnitSecond;
      expect(await ctx.manager.priceOf("dev4", 3600)).to.equal(perUnitSecond * 8n * 4n * 3600n);
      expect(await ctx.manager.priceOf("large", 3600)).to.equal(perUnitSecond * 128n * 16n * 3600n);
      await expect(ctx.manager.priceOf("huge", 3600)).to.be.revertedWithCustomError(ctx.manager, "UnknownChainType").withArgs("huge");
    });

    it("lets the admin add, change and disable types", async function () {
      await expect(ctx.manager.setChainType("dev2", 4, 2, true)).to.emit(ctx.manager, "ChainTypeSet").withArgs("dev2", 4, 2, true);
      await expect(ctx.manager.setChainType("bad", 0, 2, true))
        .to.be.revertedWithCustomError(ctx.manager, "InvalidChainType").withArgs("bad", 0, 2);
      await expect(ctx.manager.setChainType("bad", 129, 2, true)).to.be.revertedWithCustomError(ctx.manager, "InvalidChainType");
      await expect(ctx.manager.setChainType("bad", 1, 65, true)).to.be.revertedWithCustomError(ctx.manager, "InvalidChainType");
      await ctx.manager.setChainType("dev2", 4, 2, false);
      await expect(ctx.manager.priceOf("dev2", 3600)).to.be.revertedWithCustomError(ctx.manager, "UnknownChainType");
      await expect(ctx.manager.connect(ctx.other).setChainType("x", 1, 1, true))
        .to.be.revertedWithCustomError(ctx.manager, "AccessControlUnauthorizedAccount");
    });

    it("lets the admin set engines and parameters", async function () {
      await expect(ctx.manager.setConsensusEngine("raft", true)).to.emit(ctx.manager, "ConsensusEngineSet").withArgs("raft", true);
      expect(await ctx.manager.isConsensusEngine("raft")).to.equal(true);
      await expect(ctx.manager.setConsensusEngine("", true)).to.be.revertedWithCustomError(ctx.manager, "UnknownConsensusEngine");
      const p = { ...ctx.settings.parameters, rotationDelay: 5 };
      await expect(ctx.manager.setParameters(p)).to.emit(ctx.manager, "ParametersChanged");
      expect((await ctx.manager.parameters()).rotationDelay).to.equal(5n);
      const bad = async (field, value, minimum, maximum) =>
        expect(ctx.manager.setParameters({ ...p, [field]: value }))
          .to.be.revertedWithCustomError(ctx.manager, "ParameterOutOfRange").withArgs(field, value, minimum, maximum);
      const TEN_YEARS = 3650 * DAY;
      await bad("pricePerUnitSecond", 0, 1, 2n ** 128n - 1n);
      await bad("minLifetime", 0, 1, p.maxLifetime);
      await bad("minLifetime", p.maxLifetime + 1, 1, p.maxLifetime);
      await bad("maxLifetime", TEN_YEARS + 1, p.minLifetime, TEN_YEARS);
      await bad("rotationPeriod", 0, 1, TEN_YEARS);
      await bad("rotationDelay", 7 * DAY + 1, 0, 7 * DAY);
      await bad("reportWindow", 0, 1, DAY);
      await bad("reportWindow", DAY + 1, 1, DAY);
      // A refused change changes nothing.
      expect((await ctx.manager.parameters()).rotationDelay).to.equal(5n);
      await expect(ctx.manager.connect(ctx.other).setParameters(p)).to.be.revertedWithCustomError(ctx.manager, "AccessControlUnauthorizedAccount");
      await expect(ctx.manager.connect(ctx.other).setConsensusEngine("x", true)).to.be.revertedWithCustomError(ctx.manager, "AccessControlUnauthorizedAccount");
    });
  });

  describe("createSidechain", function () {
    it("takes the payment and requests the draw; the draw of a later call creates the chain", async function () {
      const price = await ctx.manager.priceOf("dev4", LIFETIME);
      const before = await ethers.provider.getBalance(ctx.developer.address);
      const tx = ctx.manager.connect(ctx.developer).createSidechain("alpha", "dev4", LIFETIME, options(), { value: price + 12345n });
      await expect(tx).to.emit(ctx.manager, "SidechainRequested").withArgs(1n, "alpha", ctx.developer.address, "dev4", price);
      const receipt = await (await tx).wait();
      await expect(tx).to.emit(ctx.manager, "DrawRequested").withArgs(1n, Kind.Creation, 0n, receipt.blockNumber);
      const after = await ethers.provider.getBalance(ctx.developer.address);
      expect(before - after - receipt.gasUsed * receipt.gasPrice).to.equal(price);
      expect(await ctx.manager.totalCollected()).to.equal(price);
      const pending = await ctx.manager.getChain(1n);
      expect(pending.status).to.equal(3n);
      expect(pending.members).to.deep.equal([]);
      // Anyone may finalize, from the next block on; the developer's stranger here does.
      await expect(ctx.manager.connect(ctx.other).finalizeDraw(1n))
        .to.emit(ctx.manager, "SidechainCreated").withArgs(1n, "alpha", ctx.developer.address, "dev4", anyValue, anyValue, "1.0.0");
      await expect(ctx.manager.finalizeDraw(1n)).to.be.revertedWithCustomError(ctx.manager, "NoPendingDraw").withArgs(1n);

      const chain = await ctx.manager.getChain(1n);
      expect(chain.name).to.equal("alpha");
      expect(chain.imageDigest).to.equal("0x" + "11".repeat(32));
      expect(new Set(chain.members.map(String)).size).to.equal(4);
      for (const id of chain.members) {
        expect((await ctx.nodes.getNode(id)).freeUnits).to.equal(120n);
        const placed = await ctx.manager.chainsOfNode(id);
        expect(placed.map((p) => [p.chainId, p.slot, p.name])).to.deep.equal([[1n, 0n, "alpha"]]);
      }
      const members = await ctx.manager.membersOf(1n);
      expect(members.map((m) => m.firstPort)).to.deep.equal([10000n, 10000n, 10000n, 10000n]);
      expect(members[0].publicKey).to.equal((await ctx.nodes.getNode(members[0].nodeId)).publicKey);
    });

    it("gives a second chain on the same node the next slot", async function () {
      await createChain(ctx, ctx.developer, "alpha");
      await createChain(ctx, ctx.developer, "beta");
      await createChain(ctx, ctx.developer, "gamma");
      // 12 memberships over 6 nodes: some node serves two chains on slots 0 and 1.
      const slots = [];
      for (const n of ctx.nodeList) slots.push((await ctx.manager.chainsOfNode(n.id)).map((p) => Number(p.slot)).sort());
      expect(slots.some((s) => s.length >= 2 && s[0] === 0 && s[1] === 1)).to.equal(true);
      for (const s of slots) expect(new Set(s).size).to.equal(s.length);
    });

    it("rejects bad names, taken names, unknown types, lifetimes, engines, images and short payment", async function () {
      const price = await ctx.manager.priceOf("dev4", LIFETIME);
      const create = (name, type = "dev4", lifetime = LIFETIME, opts = options(), value = price) =>
        ctx.manager.connect(ctx.developer).createSidechain(name, type, lifetime, opts, { value });
      for (const bad of ["", "Upper", "-lead", "has space", "x".repeat(65)]) {
        await expect(create(bad)).to.be.revertedWithCustomError(ctx.manager, "InvalidChainName").withArgs(bad);
      }
      await create("alpha");
      await expect(create("alpha")).to.be.revertedWithCustomError(ctx.manager, "ChainNameTaken").withArgs("alpha", 1n);
      await expect(create("b", "nope")).to.be.revertedWithCustomError(ctx.manager, "UnknownChainType").withArgs("nope");
      await expect(create("b", "dev4", 60)).to.be.revertedWithCustomError(ctx.manager, "LifetimeOutOfRange").withArgs(60, 3600, 5 * 365 * DAY);
      await expect(create("b", "dev4", LIFETIME, options("1.0.0", "pow")))
        .to.be.revertedWithCustomError(ctx.manager, "UnknownConsensusEngine").withArgs("pow");
      // The deployment enables every engine the subnode ships; the admin can withdraw one for new chains.
      expect(await ctx.manager.isConsensusEngine("hotstuff")).to.equal(true);
      await ctx.manager.setConsensusEngine("hotstuff", false);
      await expect(create("b", "dev4", LIFETIME, options("1.0.0", "hotstuff")))
        .to.be.revertedWithCustomError(ctx.manager, "UnknownConsensusEngine").withArgs("hotstuff");
      await ctx.manager.setConsensusEngine("hotstuff", true);
      await expect(create("b", "dev4", LIFETIME, options("7.7.7")))
        .to.be.revertedWithCustomError(ctx.images, "UnknownImageVersion").withArgs("7.7.7");
      await expect(create("b", "dev4", LIFETIME, options(), price - 1n))
        .to.be.revertedWithCustomError(ctx.manager, "InsufficientPayment").withArgs(price - 1n, price);
      await expect(create("b", "large", LIFETIME, options(), await ctx.manager.priceOf("large", LIFETIME))).to.be.revertedWithCustomError(ctx.manager, "NotEnoughNodes").withArgs("large", 16, 6);
      expect(await ctx.manager.chainCount()).to.equal(1n);
    });

    it("keeps one node per validator while enough validators exist", async function () {
      // 6 nodes of 2 validators (3 each) plus 2 nodes of two more validators: 4 validators for a dev4 chain.
      const ctx2 = await deployFixture(ethers);
      const vs = await addValidators(ctx2, ethers, networkHelpers, 4, ethers.parseEther("100"), "div");
      for (let i = 0; i < 8; i++) {
        const owner = i < 6 ? vs[i % 2] : vs[i - 4];
        await addNode(ctx2, ethers, networkHelpers, owner, 100 + i);
      }
      for (let k = 0; k < 4; k++) {
        const chainId = await createChain(ctx2, ctx2.developer, `div-${k}`);
        const members = (await ctx2.manager.getChain(chainId)).members;
        const owners = await Promise.all(members.map(async (id) => (await ctx2.nodes.getNode(id)).validatorId));
        expect(new Set(owners.map(String)).size).to.equal(4);
      }
    });

    it("gives one validator at most f seats, and refuses by name when that cannot be met", async function () {
      const ctx2 = await deployFixture(ethers);
      const vs = await addValidators(ctx2, ethers, networkHelpers, 4, ethers.parseEther("100"), "solo");
      // Validator 0 has 13 nodes, validators 1-3 one each: a 16-node chain (f = 5) cannot be formed...
      for (let i = 0; i < 13; i++) await addNode(ctx2, ethers, networkHelpers, vs[0], 200 + i);
      for (let i = 1; i < 4; i++) await addNode(ctx2, ethers, networkHelpers, vs[i], 300 + i);
      await ctx2.manager.setChainType("wide16", 1, 16, true);
      const price = await ctx2.manager.priceOf("wide16", LIFETIME);
      await ctx2.manager.connect(ctx2.developer).createSidechain("wide", "wide16", LIFETIME, options(), { value: price });
      const id = await ctx2.manager.chainIdOf("wide");
      await expect(ctx2.manager.finalizeDraw(id)).to.be.revertedWithCustomError(ctx2.nodes, "TooFewValidators").withArgs(id, 5n, anyValue);
      // ...the request stays pending (and the owner may delete it); a 4-node chain takes 4 distinct validators.
      expect((await ctx2.manager.pendingDraw(id)).kind).to.equal(Kind.Creation);
      await expect(ctx2.manager.connect(ctx2.developer).deleteSidechain(id)).to.emit(ctx2.manager, "DrawCancelled").withArgs(id, Kind.Creation);
      const chainId = await createChain(ctx2, ctx2.developer, "solo");
      const owners = await Promise.all((await ctx2.manager.getChain(chainId)).members.map((m) => ctx2.nodes.validatorOf(m)));
      expect(new Set(owners.map(String)).size).to.equal(4);
      // Three more validators with 3 nodes each: 16 seats over 7 validators, none above 5.
      const more = await addValidators(ctx2, ethers, networkHelpers, 3, ethers.parseEther("100"), "more");
      for (let i = 0; i < 9; i++) await addNode(ctx2, ethers, networkHelpers, more[i % 3], 400 + i);
      const big = await createChain(ctx2, ctx2.developer, "big", "wide16");
      const seats = {};
      for (const m of (await ctx2.manager.getChain(big)).members) {
        const v = String(await ctx2.nodes.validatorOf(m));
        seats[v] = (seats[v] ?? 0) + 1;
      }
      expect(Math.max(...Object.values(seats))).to.be.at.most(5);
      expect(Object.values(seats).reduce((a, b) => a + b, 0)).to.equal(16);
    });
  });

  describe("lifetime and removal", function () {
    it("extends the lifetime at the current price, owner only", async function () {
      const chainId = await createChain(ctx, ctx.developer, "alpha");
      const { expiresAt } = await ctx.manager.getChain(chainId);
      const price = ctx.settings.parameters.pricePerUnitSecond * 8n * 4n * BigInt(DAY);
      await expect(ctx.manager.connect(ctx.developer).extendLifetime(chainId, DAY, { value: price }))
        .to.emit(ctx.manager, "SidechainLifetimeExtended").withArgs(chainId, expiresAt + BigInt(DAY), price);
      await expect(ctx.manager.connect(ctx.developer).extendLifetime(chainId, DAY, { value: price - 1n }))
        .to.be.revertedWithCustomError(ctx.manager, "InsufficientPayment").withArgs(price - 1n, price);
      await expect(ctx.manager.connect(ctx.other).extendLifetime(chainId, DAY, { value: price }))
        .to.be.revertedWithCustomError(ctx.manager, "NotChainOwner").withArgs(chainId, ctx.other.address);
      await expect(ctx.manager.connect(ctx.developer).extendLifetime(chainId, 0))
        .to.be.revertedWithCustomError(ctx.manager, "LifetimeOutOfRange");
    });

    it("deletes a chain for its owner and frees the space; the name stays taken", async function () {
      const chainId = await createChain(ctx, ctx.developer, "alpha");
      const members = (await ctx.manager.getChain(chainId)).members;
      await expect(ctx.manager.connect(ctx.other).deleteSidechain(chainId))
        .to.be.revertedWithCustomError(ctx.manager, "NotChainOwner");
      await expect(ctx.manager.connect(ctx.developer).deleteSidechain(chainId))
        .to.emit(ctx.manager, "SidechainRemoved").withArgs(chainId, false);
      for (const id of members) {
        expect((await ctx.nodes.getNode(id)).freeUnits).to.equal(128n);
        expect(await ctx.manager.chainsOfNode(id)).to.deep.equal([]);
      }
      expect((await ctx.manager.getChain(chainId)).status).to.equal(2n);
      await expect(ctx.manager.connect(ctx.developer).deleteSidechain(chainId))
        .to.be.revertedWithCustomError(ctx.manager, "ChainNotActive").withArgs(chainId);
      await expect(createChain(ctx, ctx.developer, "alpha")).to.be.revertedWithCustomError(ctx.manager, "ChainNameTaken");
      await expect(ctx.manager.getChain(99n)).to.be.revertedWithCustomError(ctx.manager, "UnknownChain").withArgs(99n);
    });

    it("lets anyone remove an expired chain, not before", async function () {
      const chainId = await createChain(ctx, ctx.developer, "alpha", "dev4", 3600);
      const { expiresAt } = await ctx.manager.getChain(chainId);
      await expect(ctx.manager.connect(ctx.other).removeExpired(chainId))
        .to.be.revertedWithCustomError(ctx.manager, "ChainNotExpired").withArgs(chainId, expiresAt);
      await networkHelpers.time.increaseTo(expiresAt);
      await expect(ctx.manager.connect(ctx.other).removeExpired(chainId))
        .to.emit(ctx.manager, "SidechainRemoved").withArgs(chainId, true);
    });

    it("pays collected fees out to the treasurer's choice", async function () {
      await createChain(ctx, ctx.developer, "alpha");
      const collected = await ctx.manager.totalCollected();
      await expect(ctx.manager.withdrawFees(ctx.other.address, collected + 1n))
        .to.be.revertedWithCustomError(ctx.manager, "InsufficientFees").withArgs(collected + 1n, collected);
      await expect(ctx.manager.connect(ctx.other).withdrawFees(ctx.other.address, 1n))
        .to.be.revertedWithCustomError(ctx.manager, "AccessControlUnauthorizedAccount");
      await expect(ctx.manager.withdrawFees(ctx.other.address, collected)).to.emit(ctx.manager, "FeesWithdrawn").withArgs(ctx.other.address, collected);
      expect(await ethers.provider.getBalance(await ctx.manager.getAddress())).to.equal(0n);
    });
  });

  describe("images", function () {
    it("moves a chain to a newer published version only", async function () {
      const chainId = await createChain(ctx, ctx.developer, "alpha");
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "2.0.0"))
        .to.be.revertedWithCustomError(ctx.images, "UnknownImageVersion");
      await ctx.images.publish("2.0.0", DIGEST_2, SUBNODE);
      await expect(ctx.manager.connect(ctx.other).changeImage(chainId, "2.0.0"))
        .to.be.revertedWithCustomError(ctx.manager, "NotChainOwner");
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "2.0.0"))
        .to.emit(ctx.manager, "SidechainImageChanged").withArgs(chainId, "2.0.0", DIGEST_2);
      expect(await ctx.manager.imageDigestOf(chainId)).to.equal(DIGEST_2);
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "1.0.0"))
        .to.be.revertedWithCustomError(ctx.manager, "ImageNotNewer").withArgs(chainId, "2.0.0", "1.0.0");
    });

    it("refuses a revoked version, another component's image, and a deleted chain", async function () {
      const chainId = await createChain(ctx, ctx.developer, "alpha");
      await ctx.images.publish("2.0.0", DIGEST_2, SUBNODE);
      await ctx.images.revoke("2.0.0");
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "2.0.0"))
        .to.be.revertedWithCustomError(ctx.images, "RevokedImageVersion").withArgs("2.0.0");
      await ctx.images.publish("agent-2", "0x" + "33".repeat(32), "agent");
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "agent-2"))
        .to.be.revertedWithCustomError(ctx.images, "WrongImageComponent").withArgs("agent-2", SUBNODE, "agent");
      // A version published again under a new name (the way back to an older digest) is newer, so it is accepted.
      await ctx.images.publish("1.0.0-again", (await ctx.images.getVersion("1.0.0")).digest, SUBNODE);
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "1.0.0-again"))
        .to.emit(ctx.manager, "SidechainImageChanged");
      await ctx.manager.connect(ctx.developer).deleteSidechain(chainId);
      await ctx.images.publish("3.0.0", "0x" + "44".repeat(32), SUBNODE);
      await expect(ctx.manager.connect(ctx.developer).changeImage(chainId, "3.0.0"))
        .to.be.revertedWithCustomError(ctx.manager, "ChainNotActive").withArgs(chainId);
    });
  });

  describe("rotation", function () {
    it("rotates a node that exits out of each of its chains and then marks it Left", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const members = (await ctx.manager.getChain(a)).members;
      const leaving = byId(members[0]);
      await expect(ctx.manager.processExit(leaving.id, 1))
        .to.be.revertedWithCustomError(ctx.manager, "NodeNotLeaving").withArgs(leaving.id, 1n);
      await ctx.nodes.connect(leaving.wallet).initiateExit(leaving.id);
      await expect(ctx.manager.processExit(leaving.id, 10)).to.emit(ctx.manager, "DrawRequested").withArgs(a, Kind.NodeExit, leaving.id, anyValue);
      // A second call skips the chain whose draw is pending.
      await expect(ctx.manager.processExit(leaving.id, 10)).to.not.emit(ctx.manager, "DrawRequested");
      const tx = ctx.manager.connect(ctx.other).finalizeDraw(a);
      await expect(tx).to.emit(ctx.manager, "NodeRotated").withArgs(a, leaving.id, anyValue, anyValue, anyValue, Reason.NodeExit);
      await expect(tx).to.emit(ctx.nodes, "NodeStatusChanged").withArgs(leaving.id, 4n);
      const after = (await ctx.manager.getChain(a)).members;
      expect(after).to.not.include(leaving.id);
      expect(after.length).to.equal(4);
      const [rotation] = await ctx.manager.rotationsOf(a);
      expect(rotation.leavingNode).to.equal(leaving.id);
      expect(after).to.include(rotation.joiningNode);
      expect(rotation.finishAt - rotation.startedAt).to.equal(BigInt(ctx.settings.parameters.rotationDelay));
      expect(await ctx.nodes.wasMember(a, leaving.id)).to.equal(true);
    });

    it("processes a long exit in batches", async function () {
      for (let k = 0; k < 3; k++) await createChain(ctx, ctx.developer, `c-${k}`);
      const busiest = [...ctx.nodeList];
      const counts = await Promise.all(busiest.map(async (n) => (await ctx.manager.chainsOfNode(n.id)).length));
      const node = busiest[counts.indexOf(Math.max(...counts))];
      const total = Math.max(...counts);
      await ctx.nodes.connect(node.wallet).initiateExit(node.id);
      await ctx.manager.processExit(node.id, 1);
      const pendingAfterOne = [];
      for (const p of await ctx.nodes.placementsOf(node.id)) pendingAfterOne.push((await ctx.manager.pendingDraw(p.chainId)).kind);
      expect(pendingAfterOne.filter((k) => k === Kind.NodeExit).length).to.equal(1);
      await ctx.manager.processExit(node.id, 100);
      expect((await ctx.nodes.getNode(node.id)).status).to.equal(3n);
      await finalizeNode(ctx, node.id);
      expect((await ctx.nodes.getNode(node.id)).status).to.equal(4n);
    });

    it("keeps the leaving node's port slot until finishAt", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const members = (await ctx.manager.getChain(a)).members;
      // Rotate periodically until some node has left a chain while staying Active.
      await networkHelpers.time.increase(30 * DAY);
      await ctx.manager.rotate(a);
      await finalize(ctx, a);
      const [rotation] = await ctx.manager.rotationsOf(a);
      const leaver = rotation.leavingNode;
      expect(members).to.include(leaver);
      expect(await ctx.manager.chainsOfNode(leaver)).to.deep.equal([]);
      // While held, a new chain on that node gets slot 1, not slot 0.
      await ctx.manager.setChainType("all6", 1, 6, true);
      await createChain(ctx, ctx.developer, "wide", "all6");
      expect((await ctx.manager.chainsOfNode(leaver))[0].slot).to.equal(1n);
      await networkHelpers.time.increaseTo(rotation.finishAt);
      await createChain(ctx, ctx.developer, "wide2", "all6");
      const slots = (await ctx.manager.chainsOfNode(leaver)).map((p) => p.slot);
      expect(slots).to.deep.equal([1n, 0n]);
    });

    it("rotates one random member per period, one rotation at a time", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const { lastRotationAt } = await ctx.manager.getChain(a);
      const due = lastRotationAt + BigInt(ctx.settings.parameters.rotationPeriod);
      await expect(ctx.manager.connect(ctx.other).rotate(a)).to.be.revertedWithCustomError(ctx.manager, "RotationNotDue").withArgs(a, due);
      await networkHelpers.time.increaseTo(due);
      const before = (await ctx.manager.getChain(a)).members;
      await expect(ctx.manager.connect(ctx.other).rotate(a)).to.emit(ctx.manager, "DrawRequested").withArgs(a, Kind.Periodic, 0n, anyValue);
      await expect(ctx.manager.rotate(a)).to.be.revertedWithCustomError(ctx.manager, "DrawPending");
      await expect(ctx.manager.connect(ctx.other).finalizeDraw(a))
        .to.emit(ctx.manager, "NodeRotated").withArgs(a, anyValue, anyValue, anyValue, anyValue, Reason.Periodic);
      const [r] = await ctx.manager.rotationsOf(a);
      const members = (await ctx.manager.getChain(a)).members;
      // The leaving node was a member and is gone; the joining one was not and now is.
      expect(before).to.include(r.leavingNode);
      expect(members).to.not.include(r.leavingNode);
      expect(before).to.not.include(r.joiningNode);
      expect(members).to.include(r.joiningNode);
      expect(new Set(members.map(String)).size).to.equal(4);
      await networkHelpers.time.increase(30 * DAY - 60);
      await ctx.manager.setParameters({ ...ctx.settings.parameters, rotationPeriod: 1, rotationDelay: 3600 });
      await ctx.manager.rotate(a);
      await finalize(ctx, a);
      const rotations = await ctx.manager.rotationsOf(a);
      await expect(ctx.manager.rotate(a))
        .to.be.revertedWithCustomError(ctx.manager, "RotationInProgress").withArgs(a, rotations[1].finishAt);
    });

    it("prefers nodes that never served the chain", async function () {
      // 5 eligible nodes for a 4-node chain: the first rotation must pick the one outsider, the second
      // (only past members left) takes the node that left first.
      const ctx2 = await deployFixture(ethers);
      await addNetwork(ctx2, ethers, networkHelpers, 5, 5);
      const a = await createChain(ctx2, ctx2.developer, "alpha");
      await ctx2.manager.setParameters({ ...ctx2.settings.parameters, rotationPeriod: 1, rotationDelay: 1 });
      const initial = (await ctx2.manager.getChain(a)).members.map(String);
      await networkHelpers.time.increase(10);
      await ctx2.manager.rotate(a);
      await finalize(ctx2, a);
      const [r1] = await ctx2.manager.rotationsOf(a);
      expect(initial).to.not.include(String(r1.joiningNode));
      await networkHelpers.time.increase(10);
      await ctx2.manager.rotate(a);
      await finalize(ctx2, a);
      const [, r2] = await ctx2.manager.rotationsOf(a);
      expect(r2.joiningNode).to.equal(r1.leavingNode);
    });

    it("does not let one chain without a replacement hold up the exit from the others", async function () {
      // 5 nodes: "wide" uses all five (no replacement possible), "alpha" four of them.
      const ctx2 = await deployFixture(ethers);
      const net = await addNetwork(ctx2, ethers, networkHelpers, 5, 5);
      await ctx2.manager.setChainType("all5", 1, 5, true);
      const wide = await createChain(ctx2, ctx2.developer, "wide", "all5");
      const alpha = await createChain(ctx2, ctx2.developer, "alpha");
      const leavingId = (await ctx2.manager.getChain(alpha)).members[0];
      const leaving = net.nodes.find((n) => n.id === leavingId);
      expect((await ctx2.nodes.placementsOf(leavingId)).map((p) => p.chainId)).to.deep.equal([wide, alpha]);
      await ctx2.nodes.connect(leaving.wallet).initiateExit(leavingId);
      // "wide" comes first among the node's placements; one call requests both.
      await ctx2.manager.processExit(leavingId, 10);
      await expect(ctx2.manager.finalizeDraw(wide)).to.be.revertedWithCustomError(ctx2.nodes, "NotEnoughEligibleNodes");
      await expect(ctx2.manager.finalizeDraw(alpha)).to.emit(ctx2.manager, "NodeRotated").withArgs(alpha, leavingId, anyValue, anyValue, anyValue, Reason.NodeExit);
      expect((await ctx2.manager.getChain(alpha)).members).to.not.include(leavingId);
      expect((await ctx2.nodes.getNode(leavingId)).status).to.equal(3n);
      // A sixth node joins: the pending draw of "wide" now finds it, and the node has left.
      const [v6] = await addValidators(ctx2, ethers, networkHelpers, 1, ethers.parseEther("100"), "late");
      const late = await addNode(ctx2, ethers, networkHelpers, v6, 900);
      await expect(ctx2.manager.finalizeDraw(wide)).to.emit(ctx2.manager, "NodeRotated").withArgs(wide, leavingId, late.id, anyValue, anyValue, Reason.NodeExit);
      expect((await ctx2.nodes.getNode(leavingId)).status).to.equal(4n);
    });

    it("reverts exit rotation with a named error when no replacement exists", async function () {
      const ctx2 = await deployFixture(ethers);
      const net = await addNetwork(ctx2, ethers, networkHelpers, 4, 4);
      const a = await createChain(ctx2, ctx2.developer, "alpha");
      const node = net.nodes[0];
      await ctx2.nodes.connect(node.wallet).initiateExit(node.id);
      await ctx2.manager.processExit(node.id, 10);
      await expect(ctx2.manager.finalizeDraw(a))
        .to.be.revertedWithCustomError(ctx2.nodes, "NotEnoughEligibleNodes").withArgs(a, 8, 1);
      expect((await ctx2.manager.pendingDraw(a)).kind).to.equal(Kind.NodeExit);
    });
  });

  describe("liveness", function () {
    it("rotates a node out once 2f+1 members report it down, and flags it Incompliant", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const members = (await ctx.manager.getChain(a)).members;
      const [target, r1, r2, r3] = members.map(byId);
      expect(await ctx.manager.quorumOf(4)).to.equal(3n);
      await expect(ctx.manager.connect(r1.wallet).reportDown(a, target.id))
        .to.emit(ctx.manager, "NodeReportedDown").withArgs(a, target.id, r1.id, 1, 3);
      await expect(ctx.manager.connect(r1.wallet).reportDown(a, target.id))
        .to.be.revertedWithCustomError(ctx.manager, "AlreadyReported").withArgs(a, target.id, r1.id);
      await ctx.manager.connect(r2.wallet).reportDown(a, target.id);
      const report = ctx.manager.connect(r3.wallet).reportDown(a, target.id);
      await expect(report).to.emit(ctx.nodes, "NodeComplianceChanged").withArgs(target.id, true);
      await expect(report).to.emit(ctx.manager, "DrawRequested").withArgs(a, Kind.Liveness, target.id, anyValue);
      // While the replacement is pending, further reports wait.
      await expect(ctx.manager.connect(r1.wallet).reportDown(a, r2.id)).to.be.revertedWithCustomError(ctx.manager, "DrawPending");
      const tx = ctx.manager.connect(r1.wallet).finalizeDraw(a);
      await expect(tx).to.emit(ctx.manager, "NodeRotated").withArgs(a, target.id, anyValue, anyValue, anyValue, Reason.Liveness);
      expect((await ctx.manager.getChain(a)).members).to.not.include(target.id);
      expect((await ctx.nodes.getNode(target.id)).incompliant).to.equal(true);
      const [rotation] = await ctx.manager.rotationsOf(a);
      expect(rotation.finishAt).to.equal(rotation.startedAt);
    });

    it("needs the smallest q with 2q > n + f reports, so two quorums always share more than f members", async function () {
      const expected = { 1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 10: 7, 16: 11, 64: 43 };
      for (const [n, q] of Object.entries(expected)) {
        expect(await ctx.manager.quorumOf(n), `quorum of ${n}`).to.equal(BigInt(q));
        const f = Math.floor((Number(n) - 1) / 3);
        expect(2 * q > Number(n) + f && 2 * (q - 1) <= Number(n) + f, `q = ${q} is the smallest for n = ${n}`).to.equal(true);
        expect(await ctx.manager.maxSeatsPerValidator(n)).to.equal(BigInt(Math.max(1, f)));
      }
    });

    it("counts the reports of one validator's members together, at most f", async function () {
      // Validator A runs nodes a1..a3, validator B node b: with cap 1 A's three reports count once.
      const vs = await addValidators(ctx, ethers, networkHelpers, 2, ethers.parseEther("100"), "count");
      const a = [];
      for (let i = 0; i < 3; i++) a.push(await addNode(ctx, ethers, networkHelpers, vs[0], 700 + i));
      const b = await addNode(ctx, ethers, networkHelpers, vs[1], 710);
      const ids = [...a.map((n) => n.id), b.id];
      expect(await ctx.nodes.countByValidator(ids, 0b0111, 1)).to.equal(1n);
      expect(await ctx.nodes.countByValidator(ids, 0b0111, 2)).to.equal(2n);
      expect(await ctx.nodes.countByValidator(ids, 0b1111, 1)).to.equal(2n);
      expect(await ctx.nodes.countByValidator(ids, 0b1000, 1)).to.equal(1n);
    });

    it("lets three members evict a fourth in a 3-node chain only with both others, and never one member of two", async function () {
      await ctx.manager.setChainType("trio", 8, 3, true);
      await ctx.manager.setChainType("duo", 8, 2, true);
      const t = await createChain(ctx, ctx.developer, "trio", "trio");
      const [target, r1, r2] = (await ctx.manager.getChain(t)).members.map(byId);
      await expect(ctx.manager.connect(r1.wallet).reportDown(t, target.id)).to.emit(ctx.manager, "NodeReportedDown").withArgs(t, target.id, r1.id, 1, 2);
      expect((await ctx.manager.pendingDraw(t)).kind).to.equal(Kind.None);
      await expect(ctx.manager.connect(r2.wallet).reportDown(t, target.id)).to.emit(ctx.manager, "DrawRequested").withArgs(t, Kind.Liveness, target.id, anyValue);
      const d = await createChain(ctx, ctx.developer, "duo", "duo");
      const [x, y] = (await ctx.manager.getChain(d)).members.map(byId);
      await expect(ctx.manager.connect(y.wallet).reportDown(d, x.id)).to.emit(ctx.manager, "NodeReportedDown").withArgs(d, x.id, y.id, 1, 2);
      expect((await ctx.manager.pendingDraw(d)).kind).to.equal(Kind.None);
      expect((await ctx.nodes.getNode(x.id)).incompliant).to.equal(false);
    });

    it("forgets reports older than the window", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const [target, r1, r2, r3] = (await ctx.manager.getChain(a)).members.map(byId);
      await ctx.manager.connect(r1.wallet).reportDown(a, target.id);
      await ctx.manager.connect(r2.wallet).reportDown(a, target.id);
      await networkHelpers.time.increase(ctx.settings.parameters.reportWindow + 1);
      await expect(ctx.manager.connect(r3.wallet).reportDown(a, target.id))
        .to.emit(ctx.manager, "NodeReportedDown").withArgs(a, target.id, r3.id, 1, 3);
      expect((await ctx.manager.getChain(a)).members).to.include(target.id);
    });

    it("rejects reports from or about non-members, and about oneself", async function () {
      const a = await createChain(ctx, ctx.developer, "alpha");
      const members = (await ctx.manager.getChain(a)).members;
      const outsider = ctx.nodeList.find((n) => !members.includes(n.id));
      const member = byId(members[0]);
      await expect(ctx.manager.connect(outsider.wallet).reportDown(a, member.id))
        .to.be.revertedWithCustomError(ctx.manager, "NotAChainMember").withArgs(a, outsider.id);
      await expect(ctx.manager.connect(member.wallet).reportDown(a, outsider.id))
        .to.be.revertedWithCustomError(ctx.manager, "NotAChainMember").withArgs(a, outsider.id);
      await expect(ctx.manager.connect(member.wallet).reportDown(a, member.id))
        .to.be.revertedWithCustomError(ctx.manager, "CannotReportSelf").withArgs(a, member.id);
      await expect(ctx.manager.connect(ctx.other).reportDown(a, member.id))
        .to.be.revertedWithCustomError(ctx.manager, "NotAChainMember").withArgs(a, 0n);
    });
  });
});
