// Edge cases that cross contracts: full port slots, payouts refused by the receiver, long set-aside lists,
// and the defensive checks of the contract-to-contract calls.
import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, addNode, addNetwork, createChain, finalize, options, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
async function base() {
  return deployFixture(ethers);
}

describe("Edge cases", function () {
  let ctx;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(base);
  });

  it("passes over a node whose port slots are all taken, until the held slot is released", async function () {
    const [v, w] = await addValidators(ctx, ethers, networkHelpers, 2, ethers.parseEther("100"), "slots");
    const full = await addNode(ctx, ethers, networkHelpers, v, 300);
    const spare = await addNode(ctx, ethers, networkHelpers, w, 301);
    await ctx.manager.setChainType("tiny", 1, 1, true);
    await ctx.manager.setParameters({ ...ctx.settings.parameters, rotationPeriod: 1, rotationDelay: DAY });
    await ctx.nodes.connect(spare.wallet).setMaintenance(spare.id, true);
    for (let k = 0; k < 128; k++) await createChain(ctx, ctx.developer, `t-${k}`, "tiny");
    expect((await ctx.nodes.getNode(full.id)).freeUnits).to.equal(0n);
    // The spare takes over one chain; the full node keeps its slot until finishAt but gets one unit back.
    await ctx.nodes.connect(spare.wallet).setMaintenance(spare.id, false);
    await ctx.manager.rotate(1n);
    await finalize(ctx, 1n);
    expect((await ctx.nodes.getNode(full.id)).freeUnits).to.equal(1n);
    await ctx.nodes.connect(spare.wallet).setMaintenance(spare.id, true);
    await expect(createChain(ctx, ctx.developer, "no-slot", "tiny"))
      .to.be.revertedWithCustomError(ctx.nodes, "NotEnoughEligibleNodes");
    await networkHelpers.time.increase(DAY);
    const id = await createChain(ctx, ctx.developer, "slot-back", "tiny");
    expect((await ctx.manager.getChain(id)).members).to.deep.equal([full.id]);
    expect((await ctx.manager.chainsOfNode(full.id)).find((p) => p.chainId === id).slot).to.equal(0n);
  });

  it("sets aside many nodes of one validator and still keeps validators distinct", async function () {
    const vs = await addValidators(ctx, ethers, networkHelpers, 4, ethers.parseEther("100"), "wide");
    for (let i = 0; i < 20; i++) await addNode(ctx, ethers, networkHelpers, vs[0], 400 + i);
    for (let i = 1; i < 4; i++) await addNode(ctx, ethers, networkHelpers, vs[i], 400 + 20 + i);
    for (let k = 0; k < 3; k++) {
      const id = await createChain(ctx, ctx.developer, `wide-${k}`);
      const owners = await Promise.all((await ctx.manager.getChain(id)).members.map(async (m) => (await ctx.nodes.getNode(m)).validatorId));
      expect(new Set(owners.map(String)).size).to.equal(4);
    }
    expect(await ctx.nodes.nodeCount()).to.equal(23n);
  });

  it("reverts with TransferFailed and changes nothing when the payee refuses ether", async function () {
    await addNetwork(ctx, ethers, networkHelpers, 4, 4);
    const refuser = await ethers.deployContract("EtherRefuser");
    const price = await ctx.manager.priceOf("dev4", 30 * DAY);
    const create = ctx.manager.interface.encodeFunctionData("createSidechain", ["refused", "dev4", 30 * DAY, options()]);
    await expect(refuser.forward(await ctx.manager.getAddress(), create, { value: price + 1n }))
      .to.be.revertedWithCustomError(ctx.manager, "TransferFailed").withArgs(await refuser.getAddress(), 1n);
    expect(await ctx.manager.chainIdOf("refused")).to.equal(0n);
    await refuser.forward(await ctx.manager.getAddress(), create, { value: price });
    expect(await ctx.manager.chainIdOf("refused")).to.equal(1n);

    await expect(ctx.manager.withdrawFees(await refuser.getAddress(), 1n))
      .to.be.revertedWithCustomError(ctx.manager, "TransferFailed").withArgs(await refuser.getAddress(), 1n);
    expect(await ctx.manager.totalWithdrawn()).to.equal(0n);

    const validators = await ctx.validators.getAddress();
    await refuser.forward(validators, ctx.validators.interface.encodeFunctionData("registerValidator", ["refuser", 0]), { value: 5n });
    await refuser.forward(validators, ctx.validators.interface.encodeFunctionData("requestWithdrawal", [5n]));
    await networkHelpers.time.increase(7 * DAY);
    await expect(refuser.forward(validators, ctx.validators.interface.encodeFunctionData("withdraw")))
      .to.be.revertedWithCustomError(ctx.validators, "TransferFailed").withArgs(await refuser.getAddress(), 5n);
    const id = await ctx.validators.validatorIdOf(await refuser.getAddress());
    expect((await ctx.validators.getValidator(id)).pendingWithdrawal).to.equal(5n);
  });

  it("refuses zero deposits, extending an expired chain and unknown type lookups", async function () {
    const [v] = await addValidators(ctx, ethers, networkHelpers, 1, ethers.parseEther("100"), "zero");
    await expect(ctx.validators.connect(v.wallet).deposit({ value: 0n })).to.be.revertedWithCustomError(ctx.validators, "ZeroAmount");
    await addNetwork(ctx, ethers, networkHelpers, 4, 4);
    const id = await createChain(ctx, ctx.developer, "short", "dev4", 3600);
    const { expiresAt } = await ctx.manager.getChain(id);
    await networkHelpers.time.increaseTo(expiresAt);
    await expect(ctx.manager.connect(ctx.developer).extendLifetime(id, 3600, { value: 10n ** 18n }))
      .to.be.revertedWithCustomError(ctx.manager, "ChainExpired").withArgs(id, expiresAt);
    await expect(ctx.manager.chainType("nope")).to.be.revertedWithCustomError(ctx.manager, "UnknownChainType").withArgs("nope");
    await expect(ctx.nodes.slotOf(1n, 99n)).to.be.revertedWithCustomError(ctx.nodes, "NotPlaced").withArgs(99n, 1n);
    await expect(ctx.nodes.getNode(999n)).to.be.revertedWithCustomError(ctx.nodes, "UnknownNode").withArgs(999n);
  });

  it("guards the contract-to-contract calls against misuse by a role holder", async function () {
    const [admin] = await ethers.getSigners();
    await ctx.validators.grantRole(await ctx.validators.NODE_REGISTRY_ROLE(), admin.address);
    await expect(ctx.validators.onNodeLeft(admin.address)).to.be.revertedWithCustomError(ctx.validators, "NodeAddressNotLinked");
    const { nodes } = await addNetwork(ctx, ethers, networkHelpers, 4, 4);
    await expect(ctx.validators.onNodeCreated(nodes[0].wallet.address))
      .to.be.revertedWithCustomError(ctx.validators, "NodeAddressInUse").withArgs(nodes[0].wallet.address);

    await ctx.nodes.grantRole(await ctx.nodes.PLACEMENT_ROLE(), admin.address);
    await expect(ctx.nodes.completeExit(nodes[0].id))
      .to.be.revertedWithCustomError(ctx.nodes, "InvalidNodeStatus").withArgs(nodes[0].id, 1n);
    await createChain(ctx, ctx.developer, "held");
    await ctx.nodes.connect(nodes[0].wallet).initiateExit(nodes[0].id);
    await expect(ctx.nodes.completeExit(nodes[0].id))
      .to.be.revertedWithCustomError(ctx.nodes, "NodeStillPlaced").withArgs(nodes[0].id, 1n);
  });
});
