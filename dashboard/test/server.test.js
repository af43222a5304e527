// The dashboard server over real HTTP: what it passes on and what it refuses. (The pass-throughs against a real
// Hardhat node, agents' absence and real members are exercised by browser.test.js.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { id } from "ethers";
import { parseArgs, SELECTOR_GET_NODE, SELECTOR_NODE_COUNT, startServer } from "../server.js";

describe("dashboard server", () => {
  let work, server, withKey, member, seen;

  const post = async (base, path, body) =>
    (await fetch(new URL(path, base), { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "flotilla-dashboard-server-"));
    mkdirSync(join(work, "dist"));
    writeFileSync(join(work, "dist", "index.html"), "<!doctype html><title>index</title>");
    writeFileSync(join(work, "secret.txt"), "outside the build");
    writeFileSync(join(work, "book.json"), JSON.stringify({ chainId: 31337, contracts: {} }));
    writeFileSync(join(work, "key"), "0x" + "11".repeat(32));
    // A JSON-RPC endpoint standing in for a member on 127.0.0.1 (the methods it receives are recorded).
    seen = [];
    member = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        const call = JSON.parse(body);
        seen.push(call.method);
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result: "0x2a" }));
      });
    });
    await new Promise((r) => member.listen(0, "127.0.0.1", r));
    // The registered nodes stand in for the NodeRegistry's (browser.test.js reads a real one): the member's node, and
    // a node at 127.0.0.2 whose member ports and agent nobody serves.
    const registeredNodes = async () => [{ ip: "127.0.0.1", basePort: member.address().port - 2 }, { ip: "127.0.0.2", basePort: 20000 }];
    const common = { host: "127.0.0.1", port: 0, rpcUrl: "http://127.0.0.1:9", addressBook: join(work, "book.json"), agentPort: 9,
      dist: join(work, "dist"), registeredNodes };
    server = await startServer(common);
    withKey = await startServer({ ...common, devnetKeyFile: join(work, "key") });
  });

  afterAll(async () => {
    await server?.close();
    await withKey?.close();
    await new Promise((r) => member.close(r));
    rmSync(work, { recursive: true, force: true });
  });

  it("serves the address book as config, and the devnet key only when started with one", async () => {
    const config = await (await fetch(new URL("/config.json", server.url))).json();
    expect(config).toEqual({ addressBook: { chainId: 31337, contracts: {} }, rpc: "/rpc", agentPort: 9, devnetWallet: false });
    expect((await fetch(new URL("/devnet/wallet.json", server.url))).status).toBe(404);
    const wallet = await (await fetch(new URL("/devnet/wallet.json", withKey.url))).json();
    expect(wallet.privateKey).toBe("0x" + "11".repeat(32));
  });

  it("passes read-only JSON-RPC on to a member and refuses anything else", async () => {
    const port = member.address().port;
    expect(await post(server.url, `/member/127.0.0.1/${port}`, { jsonrpc: "2.0", id: 7, method: "eth_blockNumber", params: [] }))
      .toEqual({ jsonrpc: "2.0", id: 7, result: "0x2a" });
    const refused = await post(server.url, `/member/127.0.0.1/${port}`, { jsonrpc: "2.0", id: 8, method: "eth_sendRawTransaction", params: ["0x00"] });
    expect(refused.error.code).toBe(-32601);
    const batch = await post(server.url, `/member/127.0.0.1/${port}`, [
      { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }, { jsonrpc: "2.0", id: 2, method: "debug_traceTransaction", params: [] },
    ]);
    expect(batch.error.code).toBe(-32601);
    expect(seen).toEqual(["eth_blockNumber"]); // nothing refused reached the member
  });

  it("passes the browser's reads and raw transactions on to the Ethereum endpoint, not the node's signing or test controls", async () => {
    const viaRpc = await startServer({ host: "127.0.0.1", port: 0, rpcUrl: `http://127.0.0.1:${member.address().port}`,
      addressBook: join(work, "book.json"), agentPort: 9, dist: join(work, "dist") });
    try {
      seen.length = 0;
      expect(await post(viaRpc.url, "/rpc", { jsonrpc: "2.0", id: 1, method: "eth_sendRawTransaction", params: ["0x00"] }))
        .toEqual({ jsonrpc: "2.0", id: 1, result: "0x2a" });
      for (const method of ["eth_sendTransaction", "eth_sign", "hardhat_setBalance", "evm_mine", "debug_traceTransaction", "personal_sign"]) {
        const refused = await post(viaRpc.url, "/rpc", { jsonrpc: "2.0", id: 2, method, params: [] });
        expect(refused.error.code, method).toBe(-32601);
      }
      expect((await (await fetch(new URL("/rpc", viaRpc.url), { method: "POST", body: "{" })).json()).error.code).toBe(-32700);
      expect(seen).toEqual(["eth_sendRawTransaction"]); // nothing refused reached the endpoint
    } finally {
      await viaRpc.close();
    }
  });

  it("answers for a member or an agent that does not answer, instead of failing the request", async () => {
    const down = await post(server.url, "/member/127.0.0.2/20002", { jsonrpc: "2.0", id: 3, method: "flotilla_health", params: [] });
    expect(down).toMatchObject({ id: 3, error: { code: -32000 } });
    expect(down.error.message).toMatch(/^member 127\.0\.0\.2:20002 unreachable/);
    const agent = await fetch(new URL("/agent/127.0.0.2", server.url));
    expect(agent.status).toBe(200);
    expect(await agent.json()).toMatchObject({ reachable: false });
    expect((await fetch(new URL("/agent/example.com", server.url))).status).toBe(400);
    expect((await fetch(new URL("/member/example.com/80", server.url), { method: "POST", body: "{}" })).status).toBe(400);
    expect((await fetch(new URL("/agent/300.1.1.1", server.url))).status).toBe(400);
  });

  it("reaches only the nodes the NodeRegistry lists: their agents, and member ports of their range", async () => {
    expect([SELECTOR_NODE_COUNT, SELECTOR_GET_NODE]).toEqual([id("nodeCount()").slice(0, 10), id("getNode(uint256)").slice(0, 10)]);
    seen.length = 0;
    const port = member.address().port;
    const call = { jsonrpc: "2.0", id: 4, method: "eth_blockNumber", params: [] };
    for (const [ip, p] of [["127.0.0.3", port], ["127.0.0.1", port - 3], ["127.0.0.1", port - 2 + 128 * 16], ["169.254.169.254", 80]]) {
      const res = await fetch(new URL(`/member/${ip}/${p}`, server.url), { method: "POST", body: JSON.stringify(call) });
      expect(res.status, `${ip}:${p}`).toBe(403);
      expect((await res.json()).error).toBe(`not a registered node's member port: ${ip}:${p}`);
    }
    for (const ip of ["10.0.0.1", "169.254.169.254"]) {
      const res = await fetch(new URL(`/agent/${ip}`, server.url));
      expect(res.status, ip).toBe(403);
      expect((await res.json()).error).toBe(`not a registered node's address: ${ip}`);
    }
    expect(seen).toEqual([]); // nothing reached the member's stand-in
    expect(await post(server.url, `/member/127.0.0.1/${port - 2 + 128 * 16 - 1}`, call)).toMatchObject({ error: { code: -32000 } }); // the last port of the range is passed on
  });

  it("serves only the build: other paths get the app, other methods 405", async () => {
    const res = await fetch(new URL("/%2e%2e/secret.txt", server.url));
    expect(await res.text()).toContain("<title>index</title>");
    expect((await fetch(new URL("/config.json", server.url), { method: "DELETE" })).status).toBe(405);
  });

  it("refuses bad arguments with one line", () => {
    expect(() => parseArgs([])).toThrow(/^--address-book is required/);
    expect(() => parseArgs(["--address-book", "b", "--port", "x"])).toThrow("--port must be a port number: NaN");
    expect(() => parseArgs(["--nope", "1"])).toThrow(/^unknown or incomplete argument '--nope'/);
  });
});
