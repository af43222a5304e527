// The deploy script against a real Hardhat node process on loopback, as `./flotilla deploy` runs it.
import { expect } from "chai";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { ethers } from "ethers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const hardhat = join(root, "node_modules", ".bin", "hardhat");
const PORT = 18545 + (process.pid % 1000);
const RPC = `http://127.0.0.1:${PORT}`;

async function waitForRpc(provider, deadlineMs) {
  const end = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await provider.getNetwork();
    } catch (error) {
      if (Date.now() > end) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

describe("deploy/deploy.js against a Hardhat node", function () {
  let node;
  let bookDir;
  before(async function () {
    bookDir = mkdtempSync(join(tmpdir(), "flotilla-book-"));
    node = spawn(hardhat, ["node", "--hostname", "127.0.0.1", "--port", String(PORT)], { cwd: root, stdio: "ignore" });
    await waitForRpc(new ethers.JsonRpcProvider(RPC, undefined, { staticNetwork: false }), 30_000);
  });
  after(function () {
    node?.kill();
    rmSync(bookDir, { recursive: true, force: true });
  });

  it("deploys four proxies, wires their roles and writes the address book", async function () {
    const digest = "0x" + "cd".repeat(32);
    const { stdout } = await promisify(execFile)(hardhat, ["run", "deploy/deploy.js", "--network", "localhost"], {
      cwd: root,
      env: { ...process.env, FLOTILLA_RPC_URL: RPC, FLOTILLA_ADDRESS_BOOK_DIR: bookDir, FLOTILLA_SUBNODE_VERSION: "0.1.0", FLOTILLA_SUBNODE_DIGEST: digest },
    });
    expect(stdout).to.contain("addressBook");
    const book = JSON.parse(readFileSync(join(bookDir, "31337.json"), "utf8"));
    expect(Object.keys(book.contracts).sort()).to.deep.equal(["ImageRegistry", "NodeRegistry", "SidechainManager", "ValidatorRegistry"]);

    const provider = new ethers.JsonRpcProvider(RPC);
    const at = (name) => {
      const { abi } = JSON.parse(readFileSync(join(root, book.contracts[name].abi), "utf8"));
      return new ethers.Contract(book.contracts[name].address, abi, provider);
    };
    const [validators, nodes, images, manager] = ["ValidatorRegistry", "NodeRegistry", "ImageRegistry", "SidechainManager"].map(at);
    // Each address is an ERC-1967 proxy whose implementation slot is set.
    const implementationSlot = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc";
    for (const contract of [validators, nodes, images, manager]) {
      const implementation = await provider.getStorage(await contract.getAddress(), implementationSlot);
      expect(BigInt(implementation)).to.not.equal(0n);
    }
    expect(await validators.hasRole(await validators.NODE_REGISTRY_ROLE(), await nodes.getAddress())).to.equal(true);
    expect(await nodes.hasRole(await nodes.PLACEMENT_ROLE(), await manager.getAddress())).to.equal(true);
    expect(await manager.hasRole(await manager.DEFAULT_ADMIN_ROLE(), book.admin)).to.equal(true);
    expect(await manager.nodes()).to.equal(await nodes.getAddress());
    expect((await images.getVersion("0.1.0")).digest).to.equal(digest);
    expect(await manager.chainTypeNames()).to.deep.equal(["small", "medium", "large", "dev4"]);
  });

  it("on the devnet gives every role to the deployer and says so loudly", async function () {
    const { stderr } = await promisify(execFile)(hardhat, ["run", "deploy/deploy.js", "--network", "localhost"], {
      cwd: root,
      env: { ...process.env, FLOTILLA_RPC_URL: RPC, FLOTILLA_ADDRESS_BOOK_DIR: bookDir },
    });
    expect(stderr).to.contain("DEVNET ROLES: one account");
    const book = JSON.parse(readFileSync(join(bookDir, "31337.json"), "utf8"));
    expect(new Set(Object.values(book.roles)).size).to.equal(1);
    expect(book.timelocks).to.deep.equal({});
  });

  it("as on a real network: requires five distinct role holders and puts admin and upgrades behind timelocks", async function () {
    // No response cache: ethers reuses an answer for 250 ms by default, and a cached pending nonce or block made the
    // timelock steps below fail now and then ("nonce has already been used", "not ready").
    const provider = new ethers.JsonRpcProvider(RPC, undefined, { cacheTimeout: -1 });
    const wallets = ["admin", "upgrader", "treasurer", "publisher", "compliance"].map((r) =>
      new ethers.Wallet(ethers.id(`flotilla-deploy-${r}`), provider));
    const env = { ...process.env, FLOTILLA_RPC_URL: RPC, FLOTILLA_ADDRESS_BOOK_DIR: bookDir, FLOTILLA_TIMELOCK: "1" };
    const run = (extra) => promisify(execFile)(hardhat, ["run", "deploy/deploy.js", "--network", "localhost"], { cwd: root, env: { ...env, ...extra } });
    const roleEnv = Object.fromEntries(["ADMIN", "UPGRADER", "TREASURER", "PUBLISHER", "COMPLIANCE"].map((r, i) => [`FLOTILLA_${r}`, wallets[i].address]));
    let failure;
    try {
      await run({ ...roleEnv, FLOTILLA_COMPLIANCE: "" });
    } catch (error) {
      failure = error;
    }
    expect(failure?.stderr ?? "").to.contain("FLOTILLA_COMPLIANCE");
    failure = undefined;
    try {
      await run({ ...roleEnv, FLOTILLA_COMPLIANCE: wallets[0].address });
    } catch (error) {
      failure = error;
    }
    expect(failure?.stderr ?? "").to.contain("five distinct addresses");

    const { stderr } = await run({ ...roleEnv, FLOTILLA_ADMIN_DELAY: "3600", FLOTILLA_UPGRADE_DELAY: String(8 * 86400) });
    expect(stderr).to.not.contain("DEVNET ROLES");
    const book = JSON.parse(readFileSync(join(bookDir, "31337.json"), "utf8"));
    const at = (name) => new ethers.Contract(book.contracts[name].address, JSON.parse(readFileSync(join(root, book.contracts[name].abi), "utf8")).abi, provider);
    const [validators, nodes, images, manager] = ["ValidatorRegistry", "NodeRegistry", "ImageRegistry", "SidechainManager"].map(at);
    const deployer = (await provider.listAccounts())[0].address;
    const ADMIN = ethers.ZeroHash;
    const UPGRADER = ethers.id("UPGRADER_ROLE");
    for (const c of [validators, nodes, images, manager]) {
      expect(await c.hasRole(ADMIN, book.timelocks.admin)).to.equal(true);
      expect(await c.hasRole(UPGRADER, book.timelocks.upgrader)).to.equal(true);
      for (const who of [deployer, wallets[0].address, wallets[1].address]) {
        expect(await c.hasRole(ADMIN, who)).to.equal(false);
        expect(await c.hasRole(UPGRADER, who)).to.equal(false);
      }
    }
    expect(await manager.hasRole(ethers.id("TREASURER_ROLE"), wallets[2].address)).to.equal(true);
    expect(await images.hasRole(ethers.id("PUBLISHER_ROLE"), wallets[3].address)).to.equal(true);
    expect(await nodes.hasRole(ethers.id("COMPLIANCE_ROLE"), wallets[4].address)).to.equal(true);
    expect(await manager.hasRole(ethers.id("TREASURER_ROLE"), deployer)).to.equal(false);

    // An upgrade is scheduled by the upgrader, visible for 8 days, and only then executed.
    const funder = await provider.getSigner(0);
    for (const w of wallets) await (await funder.sendTransaction({ to: w.address, value: ethers.parseEther("1") })).wait();
    const timelockAbi = JSON.parse(readFileSync(join(root, "artifacts/@openzeppelin/contracts/governance/TimelockController.sol/TimelockController.json"), "utf8")).abi;
    const upgrades = new ethers.Contract(book.timelocks.upgrader, timelockAbi, wallets[1]);
    expect(await upgrades.getMinDelay()).to.equal(BigInt(8 * 86400));
    const implementation = await provider.getStorage(await manager.getAddress(), "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc");
    const target = ethers.getAddress("0x" + implementation.slice(26));
    const call = manager.interface.encodeFunctionData("upgradeToAndCall", [target, "0x"]);
    const refused = async (promise) => promise.then(() => false, () => true);
    expect(await refused(manager.connect(wallets[1]).upgradeToAndCall(target, "0x")), "direct upgrade").to.equal(true);
    expect(await refused(upgrades.connect(wallets[0]).schedule(await manager.getAddress(), 0, call, ethers.ZeroHash, ethers.ZeroHash, 8 * 86400)),
      "the admin schedules an upgrade").to.equal(true);
    await (await upgrades.schedule(await manager.getAddress(), 0, call, ethers.ZeroHash, ethers.ZeroHash, 8 * 86400)).wait();
    expect(await refused(upgrades.execute(await manager.getAddress(), 0, call, ethers.ZeroHash, ethers.ZeroHash)), "early execution").to.equal(true);
    const id = await upgrades.hashOperation(await manager.getAddress(), 0, call, ethers.ZeroHash, ethers.ZeroHash);
    const readyAt = await upgrades.getTimestamp(id);
    const now = (await provider.getBlock("latest")).timestamp;
    await provider.send("evm_increaseTime", [Number(readyAt) - now + 60]);
    await provider.send("evm_mine", []);
    expect(await upgrades.isOperationReady(id)).to.equal(true);
    // A fixed gas limit: no estimate against a pending block whose timestamp the node chooses (it failed once as
    // "not ready" after the latest block said ready); the transaction runs in the next block, later than that one.
    const upgraded = await (await upgrades.execute(await manager.getAddress(), 0, call, ethers.ZeroHash, ethers.ZeroHash,
      { gasLimit: 1_000_000 })).wait();
    expect(upgraded.status).to.equal(1);
    provider.destroy();
  });
});
