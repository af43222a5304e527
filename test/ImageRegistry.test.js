import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, DIGEST_1, DIGEST_2, SUBNODE } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
async function base() {
  return deployFixture(ethers);
}

describe("ImageRegistry", function () {
  let ctx;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(base);
  });

  it("publishes immutable versions with their digest, component and order", async function () {
    await expect(ctx.images.publish("1.1.0", DIGEST_2, SUBNODE))
      .to.emit(ctx.images, "ImageVersionPublished").withArgs("1.1.0", SUBNODE, DIGEST_2, 2n);
    const v = await ctx.images.getVersion("1.1.0");
    expect(v.digest).to.equal(DIGEST_2);
    expect(v.sequence).to.equal(2n);
    expect(await ctx.images.latestVersion(SUBNODE)).to.equal("1.1.0");
    await expect(ctx.images.publish("1.1.0", DIGEST_1, SUBNODE))
      .to.be.revertedWithCustomError(ctx.images, "VersionAlreadyPublished").withArgs("1.1.0", DIGEST_2);
  });

  it("rejects empty names, components and digests", async function () {
    await expect(ctx.images.publish("", DIGEST_1, SUBNODE)).to.be.revertedWithCustomError(ctx.images, "EmptyVersionName");
    await expect(ctx.images.publish("2", DIGEST_1, "")).to.be.revertedWithCustomError(ctx.images, "EmptyComponent");
    await expect(ctx.images.publish("2", ethers.ZeroHash, SUBNODE))
      .to.be.revertedWithCustomError(ctx.images, "EmptyDigest").withArgs("2");
  });

  it("revokes a version so that it is no longer usable", async function () {
    await expect(ctx.images.revoke("1.0.0")).to.emit(ctx.images, "ImageVersionRevoked").withArgs("1.0.0");
    await expect(ctx.images.requireUsable("1.0.0", SUBNODE))
      .to.be.revertedWithCustomError(ctx.images, "RevokedImageVersion").withArgs("1.0.0");
    await expect(ctx.images.revoke("1.0.0")).to.be.revertedWithCustomError(ctx.images, "RevokedImageVersion");
    await expect(ctx.images.revoke("9.9.9")).to.be.revertedWithCustomError(ctx.images, "UnknownImageVersion").withArgs("9.9.9");
  });

  it("checks the component a version is for", async function () {
    await ctx.images.publish("agent-1", DIGEST_2, "agent");
    await expect(ctx.images.requireUsable("agent-1", SUBNODE))
      .to.be.revertedWithCustomError(ctx.images, "WrongImageComponent").withArgs("agent-1", SUBNODE, "agent");
    await expect(ctx.images.getVersion("nope")).to.be.revertedWithCustomError(ctx.images, "UnknownImageVersion");
  });

  it("lets only publishers publish and revoke", async function () {
    await expect(ctx.images.connect(ctx.other).publish("x", DIGEST_1, SUBNODE))
      .to.be.revertedWithCustomError(ctx.images, "AccessControlUnauthorizedAccount");
    await expect(ctx.images.connect(ctx.other).revoke("1.0.0"))
      .to.be.revertedWithCustomError(ctx.images, "AccessControlUnauthorizedAccount");
  });
});
