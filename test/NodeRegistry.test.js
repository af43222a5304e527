import { expect } from "chai";
import { network } from "hardhat";
import { deployFixture, addValidators, addNode, addNetwork, createChain, walletFor, nodeParams } from "./helpers.js";

const { ethers, networkHelpers } = await network.getOrCreate();
async function base() {
  return deployFixture(ethers);
}

const Status = { None: 0n, Active: 1n, InMaintenance: 2n, Leaving: 3n, Left: 4n };

describe("NodeRegistry", function () {
  let ctx;
  let validator;
  beforeEach(async function () {
    ctx = await networkHelpers.loadFixture(base);
    [validator] = await addValidators(ctx, ethers, networkHelpers, 1);
  });

  async function linked(i) {
    const wallet = walletFor(ethers, "node", i);
    await networkHelpers.setBalance(wallet.address, ethers.parseEther("10"));
    const signature = await wallet.signMessage(ethers.getBytes(await ctx.validators.linkMessage(validator.id)));
    await ctx.validators.connect(validator.wallet).linkNodeAddress(wallet.address, signature);
    return wallet;
  }

  describe("createNode", function () {
    it("creates an Active node with 128 free units and its declared record", async function () {
      const wallet = await linked(0);
      const params = nodeParams(wallet, 0);
      await expect(ctx.nodes.connect(wallet).createNode(params))
        .to.emit(ctx.nodes, "NodeCreated").withArgs(1n, validator.id, wallet.address, "node-0", params.ip, 10000);
      const node = await ctx.nodes.getNode(1n);
      expect(node.status).to.equal(Status.Active);
      expect(node.freeUnits).to.equal(128n);
      expect(node.publicKey).to.equal(params.publicKey);
      expect(node.capacity.memoryMiB).to.equal(32768n);
      expect(node.validatorId).to.equal(validator.id);
      expect(await ctx.nodes.eligibleNodeCount(128)).to.equal(1n);
    });

    it("requires a linked address and the MSR", async function () {
      const stranger = walletFor(ethers, "node", 50);
      await networkHelpers.setBalance(stranger.address, ethers.parseEther("1"));
      await expect(ctx.nodes.connect(stranger).createNode(nodeParams(stranger, 50)))
        .to.be.revertedWithCustomError(ctx.validators, "NodeAddressNotLinked").withArgs(stranger.address);
      await ctx.validators.setMinimumStakePerNode(ethers.parseEther("1000"));
      const wallet = await linked(1);
      await expect(ctx.nodes.connect(wallet).createNode(nodeParams(wallet, 1)))
        .to.be.revertedWithCustomError(ctx.validators, "StakeBelowMinimum")
        .withArgs(validator.id, ethers.parseEther("100"), ethers.parseEther("1000"));
    });

    it("checks that the public key belongs to the sender", async function () {
      const wallet = await linked(0);
      const other = walletFor(ethers, "node", 99);
      await expect(ctx.nodes.connect(wallet).createNode(nodeParams(wallet, 0, { publicKey: "0x" + other.signingKey.publicKey.slice(4) })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidPublicKey").withArgs(wallet.address, other.address);
      await expect(ctx.nodes.connect(wallet).createNode(nodeParams(wallet, 0, { publicKey: "0x1234" })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidPublicKey").withArgs(wallet.address, ethers.ZeroAddress);
    });

    it("keeps names and ip:port unique and validates the endpoint, name and capacity", async function () {
      const a = await linked(0);
      const b = await linked(1);
      await ctx.nodes.connect(a).createNode(nodeParams(a, 0));
      await expect(ctx.nodes.connect(a).createNode(nodeParams(a, 5)))
        .to.be.revertedWithCustomError(ctx.nodes, "NodeAddressHasNode").withArgs(a.address, 1n);
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { name: "node-0" })))
        .to.be.revertedWithCustomError(ctx.nodes, "NodeNameTaken").withArgs("node-0", 1n);
      const ip = nodeParams(a, 0).ip;
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { ip })))
        .to.be.revertedWithCustomError(ctx.nodes, "EndpointTaken").withArgs(ip, 10000, 1n);
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { ip: "0x00000000" })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidEndpoint");
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { basePort: 80 })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidEndpoint");
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { basePort: 64000 })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidEndpoint");
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { name: "" })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidNodeName").withArgs("");
      await expect(ctx.nodes.connect(b).createNode(nodeParams(b, 1, { capacity: { cpuMillicores: 0, memoryMiB: 1, diskGiB: 1 } })))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidCapacity").withArgs(0, 1, 1);
    });
  });

  describe("maintenance and exit", function () {
    it("takes a node in and out of maintenance, operators only", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      await expect(ctx.nodes.connect(ctx.other).setMaintenance(node.id, true))
        .to.be.revertedWithCustomError(ctx.nodes, "NotNodeOperator").withArgs(node.id, ctx.other.address);
      await expect(ctx.nodes.connect(node.wallet).setMaintenance(node.id, true))
        .to.emit(ctx.nodes, "NodeStatusChanged").withArgs(node.id, Status.InMaintenance);
      expect(await ctx.nodes.eligibleNodeCount(1)).to.equal(0n);
      await expect(ctx.nodes.connect(node.wallet).setMaintenance(node.id, true))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidNodeStatus").withArgs(node.id, Status.InMaintenance);
      await expect(ctx.nodes.connect(validator.wallet).setMaintenance(node.id, false))
        .to.emit(ctx.nodes, "NodeStatusChanged").withArgs(node.id, Status.Active);
      expect(await ctx.nodes.eligibleNodeCount(1)).to.equal(1n);
      await expect(ctx.nodes.setMaintenance(99n, true)).to.be.revertedWithCustomError(ctx.nodes, "UnknownNode").withArgs(99n);
    });

    it("keeps a node in maintenance in its chains but gives it no new chain", async function () {
      const { nodes } = await addNetwork(ctx, ethers, networkHelpers, 4, 4);
      const chainId = await createChain(ctx, ctx.developer, "kept");
      await ctx.nodes.connect(nodes[0].wallet).setMaintenance(nodes[0].id, true);
      expect((await ctx.manager.getChain(chainId)).members).to.include(nodes[0].id);
      await expect(createChain(ctx, ctx.developer, "refused"))
        .to.be.revertedWithCustomError(ctx.manager, "NotEnoughNodes").withArgs("dev4", 4, 3);
    });

    it("exits: Leaving, then Left once out of every chain, freeing name and endpoint", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      await expect(ctx.nodes.connect(node.wallet).initiateExit(node.id))
        .to.emit(ctx.nodes, "NodeStatusChanged").withArgs(node.id, Status.Leaving);
      await expect(ctx.nodes.connect(node.wallet).initiateExit(node.id))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidNodeStatus").withArgs(node.id, Status.Leaving);
      await expect(ctx.manager.processExit(node.id, 5))
        .to.emit(ctx.nodes, "NodeStatusChanged").withArgs(node.id, Status.Left);
      expect(await ctx.nodes.nodeIdOf(node.wallet.address)).to.equal(0n);
      const again = await ctx.nodes.connect(node.wallet).createNode(nodeParams(node.wallet, 0));
      await expect(again).to.emit(ctx.nodes, "NodeCreated");
    });
  });

  describe("consensus keys", function () {
    async function proof(key, nodeId, address = key.address) {
      return key.signMessage(ethers.getBytes(await ctx.nodes.consensusKeyMessage(nodeId, address)));
    }

    it("lets the node's operator set a consensus key it proves to hold, with an event", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      const key = walletFor(ethers, "consensus", 0);
      expect(await ctx.nodes.consensusKeyOf(node.id)).to.equal(ethers.ZeroAddress);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, await proof(key, node.id)))
        .to.emit(ctx.nodes, "ConsensusKeySet").withArgs(node.id, key.address, ethers.ZeroAddress);
      expect(await ctx.nodes.consensusKeyOf(node.id)).to.equal(key.address);
      expect(await ctx.nodes.nodeIdOfConsensusKey(key.address)).to.equal(node.id);
      expect(await ctx.nodes.consensusKeysOf([node.id, 99n])).to.deep.equal([key.address, ethers.ZeroAddress]);
    });

    it("rotates: the new key replaces the old one, which is free again", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      const [first, second] = [walletFor(ethers, "consensus", 1), walletFor(ethers, "consensus", 2)];
      await ctx.nodes.connect(node.wallet).setConsensusKey(node.id, first.address, await proof(first, node.id));
      // The validator's owner may rotate too.
      await expect(ctx.nodes.connect(validator.wallet).setConsensusKey(node.id, second.address, await proof(second, node.id)))
        .to.emit(ctx.nodes, "ConsensusKeySet").withArgs(node.id, second.address, first.address);
      expect(await ctx.nodes.consensusKeyOf(node.id)).to.equal(second.address);
      expect(await ctx.nodes.nodeIdOfConsensusKey(first.address)).to.equal(0n);
    });

    it("refuses strangers, zero, the operator address, a taken key and a wrong proof, naming them", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      const other = await addNode(ctx, ethers, networkHelpers, validator, 1);
      const key = walletFor(ethers, "consensus", 3);
      const good = await proof(key, node.id);
      await expect(ctx.nodes.connect(ctx.other).setConsensusKey(node.id, key.address, good))
        .to.be.revertedWithCustomError(ctx.nodes, "NotNodeOperator").withArgs(node.id, ctx.other.address);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, ethers.ZeroAddress, good))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidConsensusKey").withArgs(ethers.ZeroAddress);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, node.wallet.address, await proof(node.wallet, node.id)))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidConsensusKey").withArgs(node.wallet.address);
      // A proof for another node, or signed by another key, proves nothing.
      await expect(ctx.nodes.connect(other.wallet).setConsensusKey(other.id, key.address, good))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidConsensusKeyProof");
      const stranger = walletFor(ethers, "consensus", 4);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, await proof(stranger, node.id, key.address)))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidConsensusKeyProof").withArgs(key.address, stranger.address);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, "0x1234"))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidConsensusKeyProof").withArgs(key.address, ethers.ZeroAddress);
      await ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, good);
      await expect(ctx.nodes.connect(other.wallet).setConsensusKey(other.id, key.address, await proof(key, other.id)))
        .to.be.revertedWithCustomError(ctx.nodes, "ConsensusKeyTaken").withArgs(key.address, node.id);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, good))
        .to.be.revertedWithCustomError(ctx.nodes, "ConsensusKeyTaken").withArgs(key.address, node.id);
    });

    it("frees the key when the node has left, and a left node cannot set one", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      const key = walletFor(ethers, "consensus", 5);
      await ctx.nodes.connect(node.wallet).setConsensusKey(node.id, key.address, await proof(key, node.id));
      await ctx.nodes.connect(node.wallet).initiateExit(node.id);
      await ctx.manager.processExit(node.id, 5);
      expect(await ctx.nodes.nodeIdOfConsensusKey(key.address)).to.equal(0n);
      const other = walletFor(ethers, "consensus", 6);
      await expect(ctx.nodes.connect(node.wallet).setConsensusKey(node.id, other.address, await proof(other, node.id)))
        .to.be.revertedWithCustomError(ctx.nodes, "InvalidNodeStatus").withArgs(node.id, Status.Left);
    });
  });

  describe("compliance and placement access", function () {
    it("lets the compliance role clear the Incompliant flag", async function () {
      const node = await addNode(ctx, ethers, networkHelpers, validator, 0);
      await expect(ctx.nodes.setCompliance(node.id, true)).to.emit(ctx.nodes, "NodeComplianceChanged").withArgs(node.id, true);
      expect(await ctx.nodes.eligibleNodeCount(1)).to.equal(0n);
      await expect(ctx.nodes.setCompliance(node.id, true))
        .to.be.revertedWithCustomError(ctx.nodes, "ComplianceUnchanged").withArgs(node.id, true);
      await ctx.nodes.setCompliance(node.id, false);
      expect(await ctx.nodes.eligibleNodeCount(1)).to.equal(1n);
      await expect(ctx.nodes.connect(ctx.other).setCompliance(node.id, true))
        .to.be.revertedWithCustomError(ctx.nodes, "AccessControlUnauthorizedAccount");
    });

    it("reserves placement for the sidechain manager", async function () {
      for (const call of [
        ctx.nodes.connect(ctx.other).placeChain(1n, 1, 1, ethers.ZeroHash),
        ctx.nodes.connect(ctx.other).replaceMember(1n, 1, 1n, [1n], ethers.ZeroHash, 0),
        ctx.nodes.connect(ctx.other).removeChain(1n, 1, []),
        ctx.nodes.connect(ctx.other).markIncompliant(1n),
        ctx.nodes.connect(ctx.other).completeExit(1n),
      ]) {
        await expect(call).to.be.revertedWithCustomError(ctx.nodes, "AccessControlUnauthorizedAccount");
      }
    });
  });
});
