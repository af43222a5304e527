import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addNetwork, createChain, finalize, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();

async function populated() {
  const ctx = await deployFixture(ethers);
  const net = await addNetwork(ctx, ethers, networkHelpers, 8, 4);
  await createChain(ctx, ctx.developer, "alpha");
  await createChain(ctx, ctx.developer, "beta");
  await networkHelpers.time.increase(30 * DAY);
  await ctx.manager.rotate(1n);
  await finalize(ctx, 1n);
  return { ...ctx, nodeList: net.nodes, validatorList: net.validators };
}

async function snapshot(ctx) {
  const chains = [];
  for (const id of [1n, 2n]) {
    chains.push({ chain: await ctx.manager.getChain(id), members: await ctx.manager.membersOf(id), rotations: await ctx.manager.rotationsOf(id) });
  }
  const nodes = [];
  for (const n of ctx.nodeList) nodes.push({ node: await ctx.nodes.getNode(n.id), placements: await ctx.nodes.placementsOf(n.id) });
  const validators = [];
  for (const v of ctx.validatorList) validators.push(await ctx.validators.getValidator(v.id));
  return JSON.stringify(
    {
      chains,
      nodes,
      validators,
      image: await ctx.images.getVersion("1.0.0"),
      collected: await ctx.manager.totalCollected(),
      parameters: await ctx.manager.parameters(),
      eligible: await ctx.nodes.eligibleNodeCount(1),
    },
    (_, v) => (typeof v === "bigint" ? v.toString() : v),
  );
}

describe("UUPS upgrades", function () {
  it("keep every contract's state and behaviour", async function () {
    const ctx = await networkHelpers.loadFixture(populated);
    const before = await snapshot(ctx);
    for (const [key, name] of [["manager", "SidechainManagerV2"], ["nodes", "NodeRegistryV2"], ["validators", "ValidatorRegistryV2"], ["images", "ImageRegistryV2"]]) {
      const implementation = await ethers.deployContract(name);
      await expect(ctx[key].connect(ctx.other).upgradeToAndCall(await implementation.getAddress(), "0x"))
        .to.be.revertedWithCustomError(ctx[key], "AccessControlUnauthorizedAccount");
      await expect(ctx[key].upgradeToAndCall(await implementation.getAddress(), "0x"))
        .to.emit(ctx[key], "Upgraded").withArgs(await implementation.getAddress());
      const upgraded = await ethers.getContractAt(name, await ctx[key].getAddress());
      expect(await upgraded.version()).to.equal(2n);
    }
    expect(await snapshot(ctx)).to.equal(before);
    // The upgraded network keeps working: a new chain is placed next to the old ones.
    const id = await createChain(ctx, ctx.developer, "gamma");
    expect((await ctx.manager.getChain(id)).members.length).to.equal(4);
  });

  it("cannot be initialized twice", async function () {
    const ctx = await networkHelpers.loadFixture(populated);
    await expect(ctx.images.initialize(ctx.other.address)).to.be.revertedWithCustomError(ctx.images, "InvalidInitialization");
  });
});
