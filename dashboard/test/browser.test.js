// The dashboard in a real browser (Debian's chromium, driven by playwright-core) against a devnet-like network of its
// own: a Hardhat node on 127.0.0.1:21545 with the contracts, six validators with a node each on 127.0.0.171-176
// (base port 22000), the dashboard server with the devnet wallet shim (the developer key), and for the chain created
// from the page, the real sidechain program (java/chain) run for each member as its agent would run it. Agents are
// not run here: node 1's status API is a stand-in with the agent's fields, the others are unreachable;
// docs/dashboard.md says what this covers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { ContractFactory, JsonRpcProvider, NonceManager, Wallet, id, parseEther } from "ethers";
import { startServer } from "../server.js";
import { DEVELOPER_KEY, Processes, ROOT, account, contracts, deploy, registerNodes, startChain, startEthereum, waitFor } from "./harness.js";
import { readFileSync, writeFileSync } from "node:fs";

const ETHEREUM_PORT = 21545;
const IP_BASE = "127.0.0.171";
const BASE_PORT = 22000;
const CHROMIUM = process.env.FLOTILLA_CHROMIUM ?? "/usr/bin/chromium";
const SCREENSHOTS = process.env.FLOTILLA_DASHBOARD_SCREENSHOTS; // a folder: the main pages are saved there as PNGs

describe("dashboard in chromium", () => {
  const processes = new Processes();
  let work, c, nodeWallets, server, browser, page, chainUrls, agentStandIn;
  const consoleErrors = [];

  const shot = async (name) => {
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const rows = (testId) => page.locator(`[data-testid="${testId}"] tbody tr`);

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "flotilla-dashboard-test-"));
    const rpc = await startEthereum(processes, ETHEREUM_PORT);
    const book = await deploy(rpc, join(work, "book"), "1.0.0", "0x" + "ab".repeat(32));
    c = contracts(rpc, book);
    nodeWallets = await registerNodes(c, 6, IP_BASE, BASE_PORT);
    // A second published version, revoked: the images table must show both.
    const admin = account(0).connect(c.provider);
    await (await c.images.connect(admin).publish("0.9.0", "0x" + "cd".repeat(32), "subnode")).wait();
    await (await c.images.connect(admin).revoke("0.9.0")).wait();
    writeFileSync(join(work, "developer.key"), DEVELOPER_KEY);
    // Agents' status pages on port 22999: node 1 has a stand-in answering with the agent's /api/v1/node fields
    // (AgentController), the other nodes have nothing there (their agents are unreachable).
    agentStandIn = createServer((req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(req.url === "/api/v1/node"
        ? JSON.stringify({ health: "DEGRADED", problems: ["chain 9: subnode crash-looping"], nodeId: 1, nodeAddress: nodeWallets[0].wallet.address,
          lastReconcileAt: new Date().toISOString(), lastReconcileMillis: 12, passes: 3, subnodes: 0 })
        : "{}");
    });
    await new Promise((r) => agentStandIn.listen(22999, IP_BASE, r));
    server = await startServer({ host: "127.0.0.1", port: 0, rpcUrl: rpc, addressBook: book, agentPort: 22999,
      devnetKeyFile: join(work, "developer.key"), dist: join(import.meta.dirname, "..", "dist") });
    const profile = join(work, "chromium-profile");
    mkdirSync(profile);
    // A fresh profile per run (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on("console", (m) => m.type() === "error" && consoleErrors.push(m.text()));
    page.on("pageerror", (e) => consoleErrors.push(`page error: ${e.message}`));
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (agentStandIn) await new Promise((r) => agentStandIn.close(r));
    await processes.stopAll();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("shows the network read from the contracts: validators with stake and nodes, nodes, images with revoked ones", async () => {
    await page.goto(server.url);
    await expect.poll(() => rows("validators").count(), { timeout: 30_000 }).toBe(6);
    expect(await rows("validators").first().innerText()).toMatch(/validator-1\s.*2 ETH\s+1\s+1\s/);
    expect(await rows("nodes").count()).toBe(6);
    const node1 = await page.locator('[data-node="1"]').innerText();
    expect(node1).toContain("web-node-1");
    expect(node1).toContain("Active");
    expect(node1).toContain("127.0.0.171:22000");
    expect(node1).toContain("128 / 128");
    await expect.poll(() => page.locator('[data-node="2"] td').last().innerText(), { timeout: 15_000 }).toBe("unreachable");
    await expect.poll(() => page.locator('[data-node="1"] td').last().innerText(), { timeout: 15_000 }).toBe("DEGRADED");
    expect(await page.locator('[data-node="1"] td').last().getAttribute("title")).toBe("chain 9: subnode crash-looping");
    const images = await page.locator('[data-testid="images"]').innerText();
    expect(images).toMatch(/1\.0\.0\s+subnode\s+sha256:abababababab/);
    expect(images).toMatch(/0\.9\.0\s+subnode.*revoked/);
    expect(await page.locator('[data-testid="latest-image"]').innerText()).toBe("Latest published subnode image: 0.9.0 (revoked; new chains get 1.0.0)");
    expect(await page.locator('[data-testid="account"]').innerText()).toContain("devnet developer key");
  });

  it("creates a chain through the wallet; it appears with its members drawn by the contracts", async () => {
    await page.evaluate(() => ((window).__sameDocument = true)); // live updates: the page is never reloaded
    await page.fill('[data-testid="create-name"]', "web");
    await page.selectOption('[data-testid="create-type"]', "dev4");
    await page.fill('[data-testid="create-lifetime"]', "2d");
    await expect.poll(() => page.locator('[data-testid="create-submit"]').innerText()).toMatch(/Create and pay 0\.\d+ ETH/);
    await page.click('[data-testid="create-submit"]');
    // The page goes to the new chain once it is drawn; until then (or on a refusal) the form says where it is.
    const status = () => page.locator('[data-testid="create-status"]').innerText({ timeout: 1000 }).catch(() => "");
    await expect.poll(async () => (page.url().endsWith("#/chain/1") ? "on the chain's page" : await status()), { timeout: 60_000 })
      .toBe("on the chain's page");
    await expect.poll(() => rows("members").count(), { timeout: 30_000 }).toBe(4);
    const chain = await c.manager.getChain(1);
    expect(chain.owner).toBe(account(19).address);
    const shown = await rows("members").locator("td:first-child").allInnerTexts();
    expect(shown.map(Number).sort()).toEqual(chain.members.map(Number).sort());
    // The chain's status follows within a poll of the contracts (once a second), without a reload.
    await expect.poll(() => page.locator('[data-testid="chain-status"]').innerText(), { timeout: 10_000 }).toBe("Active");
    const info = await page.locator('[data-testid="chain"]').innerText();
    expect(info).toMatch(/type\s+dev4 \(4 members × 8 units\)/);
    expect(info).toMatch(/lifetime left\s+1d 23h/);
    expect(info).toContain("1.0.0");
    expect(info).toContain("bft");
    expect(await page.evaluate(() => (window).__sameDocument)).toBe(true);
  });

  it("shows each member's head and finalizing, and a transfer in the explorer (block, transaction, receipt, address)", async () => {
    chainUrls = await startChain(processes, c, 1, nodeWallets, join(work, "chain"));
    await expect.poll(async () => (await rows("members").locator("td:nth-child(7)").allInnerTexts()).join(","), { timeout: 120_000, interval: 1000 })
      .toBe("yes,yes,yes,yes");
    const member = new JsonRpcProvider(chainUrls[0], 0x464c0001, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 250 });
    const owner = new Wallet(DEVELOPER_KEY, member);
    const to = Wallet.createRandom().address;
    const sent = await owner.sendTransaction({ to, value: parseEther("1.5"), gasPrice: 1_000_000_000n, gasLimit: 21_000n });
    const receipt = await sent.wait(1, 60_000);
    // Latest blocks (live) list the transfer's block.
    await expect.poll(() => page.locator('[data-testid="latest-blocks"]').innerText(), { timeout: 30_000 }).toContain(String(receipt.blockNumber));
    await shot("chain");
    await page.fill('[data-testid="explorer-search"]', sent.hash);
    await page.press('[data-testid="explorer-search"]', "Enter");
    await expect.poll(() => page.locator('[data-testid="tx-status"]').innerText(), { timeout: 20_000 }).toBe("success");
    expect(await page.locator('[data-testid="tx-value"]').innerText()).toBe("1.5 ETH");
    const tx = await page.locator('[data-testid="tx"]').innerText();
    expect(tx).toContain(owner.address);
    expect(tx).toContain(to);
    expect(tx).toMatch(/gas used \/ limit\s+21000 \/ 21000/);
    await page.locator('[data-testid="tx"] a', { hasText: String(receipt.blockNumber) }).first().click();
    await expect.poll(() => page.locator('[data-testid="block-txs"]').innerText(), { timeout: 20_000 }).toContain(sent.hash.slice(0, 10));
    await page.locator('[data-testid="block-txs"] a', { hasText: to.slice(0, 8) }).click();
    await expect.poll(() => page.locator('[data-testid="address-balance"]').innerText(), { timeout: 20_000 }).toBe("1.5 ETH");
    expect(await page.locator('[data-testid="address-nonce"]').innerText()).toBe("0");
    await page.fill('[data-testid="explorer-search"]', owner.address);
    await page.press('[data-testid="explorer-search"]', "Enter");
    await expect.poll(() => page.locator('[data-testid="address-nonce"]').innerText(), { timeout: 20_000 }).toBe("1");
    // Every member's head reaches the transfer's block.
    await expect.poll(async () => (await rows("members").locator("td:nth-child(6)").allInnerTexts()).every((h) => Number(h) >= receipt.blockNumber),
      { timeout: 30_000 }).toBe(true);

    // A contract call's receipt with its log: the sample Greeter (contracts/samples) emits GreetingChanged.
    const greeter = JSON.parse(readFileSync(join(ROOT, "artifacts", "contracts", "samples", "Greeter.sol", "Greeter.json"), "utf8"));
    const factory = new ContractFactory(greeter.abi, greeter.bytecode, new NonceManager(owner));
    const deployed = await factory.deploy("hello", { gasPrice: 1_000_000_000n });
    await deployed.waitForDeployment();
    const call = await deployed.setGreeting("from the dashboard test", { gasPrice: 1_000_000_000n });
    await call.wait(1, 60_000);
    await page.fill('[data-testid="explorer-search"]', call.hash);
    await page.press('[data-testid="explorer-search"]', "Enter");
    await expect.poll(() => page.locator('[data-testid="tx-status"]').innerText(), { timeout: 20_000 }).toBe("success");
    expect(await rows("tx-logs").count()).toBe(1);
    const log = await rows("tx-logs").first().innerText();
    expect(log).toContain(id("GreetingChanged(address,string)").slice(0, 10));
    expect(log).toContain((await deployed.getAddress()).slice(0, 8));
    await shot("transaction");
  });

  it("shows rotations in the history with their reasons: a member's node exits, a member is reported down", async () => {
    await page.goto(`${server.url}#/chain/1`);
    await expect.poll(() => rows("members").count(), { timeout: 30_000 }).toBe(4);
    await page.evaluate(() => ((window).__sameDocument = true));
    const leaving = Number((await c.manager.getChain(1)).members[0]);
    const wallet = nodeWallets.find((n) => n.id === leaving).wallet;
    await (await c.nodes.connect(wallet).initiateExit(leaving)).wait();
    await (await c.manager.connect(wallet).processExit(leaving, 10)).wait();
    await (await c.manager.connect(wallet).finalizeDraw(1)).wait();
    const [rotation] = await c.manager.rotationsOf(1);
    await expect.poll(() => rows("rotations").count(), { timeout: 20_000 }).toBe(1);
    const row = await rows("rotations").first().innerText();
    expect(row).toMatch(new RegExp(`^1\\s+exit\\s+${leaving}\\s+${Number(rotation.joiningNode)}\\s`));
    expect(row).toMatch(/in 9m|in 10m/); // the leaving member serves for the rotation delay (10 minutes on the devnet)
    await expect.poll(async () => (await rows("members").locator("td:first-child").allInnerTexts()).map(Number), { timeout: 20_000 })
      .toContain(Number(rotation.joiningNode));
    await page.goto(`${server.url}#/`);
    await expect.poll(() => page.locator(`[data-node="${leaving}"]`).innerText(), { timeout: 20_000 }).toMatch(/Leaving|Left/);
    await expect.poll(() => page.locator('[data-testid="activity"]').innerText(), { timeout: 10_000 })
      .toMatch(new RegExp(`NodeRotated\\s+chainId=1, leavingNode=${leaving}, joiningNode=${Number(rotation.joiningNode)}, .*reason=0`));
    await page.goto(`${server.url}#/chain/1`);
    await expect.poll(() => rows("rotations").count(), { timeout: 20_000 }).toBe(1);

    // The joining node runs nothing here: the three other members report it down, which rotates it out (reason report).
    const joining = Number(rotation.joiningNode);
    const reporters = (await c.manager.getChain(1)).members.map(Number).filter((n) => n !== joining);
    for (const reporter of reporters) {
      await (await c.manager.connect(nodeWallets.find((n) => n.id === reporter).wallet).reportDown(1, joining)).wait();
    }
    await (await c.manager.connect(nodeWallets.find((n) => n.id === reporters[0]).wallet).finalizeDraw(1)).wait();
    const replacement = Number((await c.manager.rotationsOf(1))[1].joiningNode);
    await expect.poll(() => rows("rotations").count(), { timeout: 20_000 }).toBe(2);
    expect(await rows("rotations").nth(1).innerText()).toMatch(new RegExp(`^2\\s+report\\s+${joining}\\s+${replacement}\\s`)); // no serving delay
    const reports = await page.locator('[data-testid="reports"]').innerText();
    expect(reports.split("\n").filter((l) => l.includes(`reported node ${joining}`))).toHaveLength(3);
    expect(reports).toContain(`(3/3)`);
    await shot("rotation");
  });

  it("lets the owner extend the chain's lifetime, resize it and delete it through the wallet", async () => {
    const before = Number((await c.manager.getChain(1)).expiresAt);
    await page.fill('[data-testid="owner-actions"] input', "1d");
    await page.click('[data-testid="extend"]');
    await expect.poll(() => page.locator('[data-testid="owner-status"]').innerText(), { timeout: 30_000 }).toMatch(/^extended by 1d 0h for 0\.\d+ ETH$/);
    expect(Number((await c.manager.getChain(1)).expiresAt)).toBe(before + 86400);
    await expect.poll(() => page.locator('[data-testid="chain"]').innerText(), { timeout: 10_000 }).toMatch(/lifetime left\s+2d 23h/);
    // Resize: a type of the same four members with twice the units (set by the admin) grows the chain in place.
    await (await c.manager.connect(account(0).connect(c.provider)).setChainType("dev4x16", 16, 4, true)).wait();
    await expect.poll(() => page.locator('[data-testid="resize-type"] option').allInnerTexts(), { timeout: 10_000 })
      .toContain("dev4x16 (4 nodes × 16 units)");
    await page.selectOption('[data-testid="resize-type"]', "dev4x16");
    await page.click('[data-testid="resize"]');
    await expect.poll(() => page.locator('[data-testid="owner-status"]').innerText(), { timeout: 30_000 }).toMatch(/^resized to dev4x16 for 0\.\d+ ETH$/);
    const resized = await c.manager.getChain(1);
    expect(resized.typeName).toBe("dev4x16");
    expect(Number(resized.unitsPerNode)).toBe(16);
    await expect.poll(() => page.locator('[data-testid="chain"]').innerText(), { timeout: 10_000 }).toMatch(/type\s+dev4x16 \(4 members × 16 units\)/);
    page.once("dialog", (d) => d.accept());
    await page.click('[data-testid="delete"]');
    await expect.poll(() => page.locator('[data-testid="chain-status"]').innerText(), { timeout: 30_000 }).toBe("Removed");
    expect(Number((await c.manager.getChain(1)).status)).toBe(2);
  });

  it("logged no error in the browser's console on any page", () => {
    expect(consoleErrors).toEqual([]);
  });
});
