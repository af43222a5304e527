import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, addNode, walletFor, DAY } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
async function base() {
  return deployFixture(ethers);
}

describe("ValidatorRegistry", function () {
  let ctx;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(base);
  });

  describe("registration", function () {
    it("registers a validator with its first stake", async function () {
      const stake = ethers.parseEther("3");
      await expect(ctx.validators.connect(ctx.other).registerValidator("acme", 250, { value: stake }))
        .to.emit(ctx.validators, "ValidatorRegistered").withArgs(1n, ctx.other.address, "acme", 250)
        .and.to.emit(ctx.validators, "StakeDeposited").withArgs(1n, stake, stake);
      const v = await ctx.validators.getValidator(1n);
      expect(v.owner).to.equal(ctx.other.address);
      expect(v.stake).to.equal(stake);
      expect(await ctx.validators.validatorCount()).to.equal(1n);
    });

    it("rejects a second registration, an empty name and a commission above 100%", async function () {
      await ctx.validators.connect(ctx.other).registerValidator("acme", 0);
      await expect(ctx.validators.connect(ctx.other).registerValidator("again", 0))
        .to.be.revertedWithCustomError(ctx.validators, "ValidatorAlreadyRegistered").withArgs(ctx.other.address, 1n);
      await expect(ctx.validators.connect(ctx.developer).registerValidator("", 0))
        .to.be.revertedWithCustomError(ctx.validators, "EmptyValidatorName");
      await expect(ctx.validators.connect(ctx.developer).registerValidator("x", 10_001))
        .to.be.revertedWithCustomError(ctx.validators, "CommissionTooHigh").withArgs(10_001, 10_000);
    });
  });

  describe("stake", function () {
    it("deposits, unbonds and withdraws after the delay", async function () {
      const [v] = await addValidators(ctx, ethers, networkHelpers, 1, ethers.parseEther("5"));
      await expect(ctx.validators.connect(v.wallet).deposit({ value: ethers.parseEther("1") }))
        .to.emit(ctx.validators, "StakeDeposited").withArgs(v.id, ethers.parseEther("1"), ethers.parseEther("6"));
      await expect(ctx.validators.connect(v.wallet).requestWithdrawal(ethers.parseEther("2")))
        .to.emit(ctx.validators, "WithdrawalRequested");
      const { withdrawableAt } = await ctx.validators.getValidator(v.id);
      await expect(ctx.validators.connect(v.wallet).withdraw())
        .to.be.revertedWithCustomError(ctx.validators, "UnbondingNotOver").withArgs(v.id, withdrawableAt);
      await networkHelpers.time.increase(7 * DAY);
      const before = await ethers.provider.getBalance(v.wallet.address);
      const receipt = await (await ctx.validators.connect(v.wallet).withdraw()).wait();
      const after = await ethers.provider.getBalance(v.wallet.address);
      expect(after - before + receipt.gasUsed * receipt.gasPrice).to.equal(ethers.parseEther("2"));
      expect((await ctx.validators.getValidator(v.id)).stake).to.equal(ethers.parseEther("4"));
      await expect(ctx.validators.connect(v.wallet).withdraw())
        .to.be.revertedWithCustomError(ctx.validators, "NothingToWithdraw").withArgs(v.id);
      expect(await ctx.validators.totalDeposited() - await ctx.validators.totalWithdrawn())
        .to.equal(await ethers.provider.getBalance(await ctx.validators.getAddress()));
    });

    it("keeps the MSR of every node from being withdrawn", async function () {
      const [v] = await addValidators(ctx, ethers, networkHelpers, 1, ethers.parseEther("2.5"));
      await addNode(ctx, ethers, networkHelpers, v, 0);
      await addNode(ctx, ethers, networkHelpers, v, 1);
      expect(await ctx.validators.freeStake(v.id)).to.equal(ethers.parseEther("0.5"));
      await expect(ctx.validators.connect(v.wallet).requestWithdrawal(ethers.parseEther("1")))
        .to.be.revertedWithCustomError(ctx.validators, "InsufficientFreeStake")
        .withArgs(ethers.parseEther("1"), ethers.parseEther("0.5"));
      await expect(ctx.validators.connect(v.wallet).requestWithdrawal(0n))
        .to.be.revertedWithCustomError(ctx.validators, "ZeroAmount");
    });

    it("rejects stake operations from non-validators", async function () {
      await expect(ctx.validators.connect(ctx.other).deposit({ value: 1n }))
        .to.be.revertedWithCustomError(ctx.validators, "NotAValidator").withArgs(ctx.other.address);
      await expect(ctx.validators.connect(ctx.other).withdraw())
        .to.be.revertedWithCustomError(ctx.validators, "NotAValidator").withArgs(ctx.other.address);
    });
  });

  describe("node addresses", function () {
    it("links an address only with the node key's signature", async function () {
      const [v] = await addValidators(ctx, ethers, networkHelpers, 1);
      const node = walletFor(ethers, "node", 7);
      const message = ethers.getBytes(await ctx.validators.linkMessage(v.id));
      const forged = await walletFor(ethers, "node", 8).signMessage(message);
      await expect(ctx.validators.connect(v.wallet).linkNodeAddress(node.address, forged))
        .to.be.revertedWithCustomError(ctx.validators, "InvalidNodeSignature")
        .withArgs(node.address, walletFor(ethers, "node", 8).address);
      const good = await node.signMessage(message);
      await expect(ctx.validators.connect(v.wallet).linkNodeAddress(node.address, good))
        .to.emit(ctx.validators, "NodeAddressLinked").withArgs(v.id, node.address);
      expect(await ctx.validators.validatorOfNodeAddress(node.address)).to.equal(v.id);
      await expect(ctx.validators.connect(v.wallet).linkNodeAddress(node.address, good))
        .to.be.revertedWithCustomError(ctx.validators, "NodeAddressAlreadyLinked").withArgs(node.address, v.id);
    });

    it("unlinks an address only when no node runs from it", async function () {
      const [v, w] = await addValidators(ctx, ethers, networkHelpers, 2);
      const node = await addNode(ctx, ethers, networkHelpers, v, 0);
      await expect(ctx.validators.connect(w.wallet).unlinkNodeAddress(node.wallet.address))
        .to.be.revertedWithCustomError(ctx.validators, "NodeAddressNotLinked").withArgs(node.wallet.address);
      await expect(ctx.validators.connect(v.wallet).unlinkNodeAddress(node.wallet.address))
        .to.be.revertedWithCustomError(ctx.validators, "NodeAddressInUse").withArgs(node.wallet.address);
      await ctx.nodes.connect(node.wallet).initiateExit(node.id);
      await ctx.manager.processExit(node.id, 10);
      await expect(ctx.validators.connect(v.wallet).unlinkNodeAddress(node.wallet.address))
        .to.emit(ctx.validators, "NodeAddressUnlinked").withArgs(v.id, node.wallet.address);
    });

    it("lets only the node registry reserve and release node stake", async function () {
      await expect(ctx.validators.connect(ctx.other).onNodeCreated(ctx.other.address))
        .to.be.revertedWithCustomError(ctx.validators, "AccessControlUnauthorizedAccount");
      await expect(ctx.validators.connect(ctx.other).onNodeLeft(ctx.other.address))
        .to.be.revertedWithCustomError(ctx.validators, "AccessControlUnauthorizedAccount");
    });
  });

  describe("administration", function () {
    it("sets the MSR and the unbonding delay, admin only", async function () {
      await expect(ctx.validators.setMinimumStakePerNode(5n)).to.emit(ctx.validators, "MinimumStakePerNodeChanged").withArgs(5n);
      await expect(ctx.validators.setUnbondingDelay(9n)).to.emit(ctx.validators, "UnbondingDelayChanged").withArgs(9n);
      await expect(ctx.validators.setMinimumStakePerNode(0n))
        .to.be.revertedWithCustomError(ctx.validators, "ParameterOutOfRange").withArgs("minimumStakePerNode", 0n, 1n, 2n ** 256n - 1n);
      await expect(ctx.validators.setUnbondingDelay(0n))
        .to.be.revertedWithCustomError(ctx.validators, "ParameterOutOfRange").withArgs("unbondingDelay", 0n, 1n, 365n * 86400n);
      await expect(ctx.validators.setUnbondingDelay(365n * 86400n + 1n)).to.be.revertedWithCustomError(ctx.validators, "ParameterOutOfRange");
      expect(await ctx.validators.unbondingDelay()).to.equal(9n);
      expect(await ctx.validators.minimumStakePerNode()).to.equal(5n);
      expect(await ctx.validators.unbondingDelay()).to.equal(9n);
      await expect(ctx.validators.connect(ctx.other).setMinimumStakePerNode(1n))
        .to.be.revertedWithCustomError(ctx.validators, "AccessControlUnauthorizedAccount");
      await expect(ctx.validators.connect(ctx.other).setUnbondingDelay(1n))
        .to.be.revertedWithCustomError(ctx.validators, "AccessControlUnauthorizedAccount");
    });
  });
});
