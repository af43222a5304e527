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
});
