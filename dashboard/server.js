#!/usr/bin/env node
// The dashboard's server: the static build (dist/), the address book as /config.json, a JSON-RPC pass-through to the
// Ethereum endpoint (/rpc, so the browser needs no CORS from it and never learns a private endpoint's URL), agents'
// status pages (/agent/<ip>, GET of http://<ip>:<agent port>/api/v1/node only), sidechain members' read-only JSON-RPC
// (/member/<ip>/<port>, the methods of MEMBER_METHODS only), and on the devnet the developer's key for the injected
// wallet shim (/devnet/wallet.json, only with --devnet-key-file). No dependencies beyond Node.
// The agent and member pass-throughs reach only nodes the NodeRegistry lists (their IP, and for members a port of
// their range: basePort + 128 slots x 16 ports): the dashboard is not a proxy to any address its visitors name.
//
//   node dashboard/server.js --address-book FILE [--rpc-url URL] [--host 127.0.0.1] [--port 8090]
//                            [--agent-port 8080] [--devnet-key-file FILE] [--dist DIR]
import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

const USAGE =
  "usage: node dashboard/server.js --address-book FILE [--rpc-url URL] [--host H] [--port P] [--agent-port P] [--devnet-key-file FILE]";

export function parseArgs(argv) {
  const o = { host: "127.0.0.1", port: 8090, rpcUrl: "http://127.0.0.1:8545", agentPort: 8080, dist: join(here, "dist") };
  const names = {
    "--address-book": "addressBook", "--rpc-url": "rpcUrl", "--host": "host", "--port": "port",
    "--agent-port": "agentPort", "--devnet-key-file": "devnetKeyFile", "--dist": "dist",
  };
  for (let i = 0; i < argv.length; i++) {
    const key = names[argv[i]];
    if (!key || i + 1 >= argv.length) throw new Error(`unknown or incomplete argument '${argv[i]}'; ${USAGE}`);
    o[key] = argv[++i];
  }
  o.port = Number(o.port);
  o.agentPort = Number(o.agentPort);
  if (!o.addressBook) throw new Error(`--address-book is required; ${USAGE}`);
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new Error(`--port must be a port number: ${o.port}`);
  if (!Number.isInteger(o.agentPort) || o.agentPort < 1 || o.agentPort > 65535) throw new Error(`--agent-port must be a port number`);
  return o;
}

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon",
};
const MAX_BODY = 1 << 20;
// What the explorer reads from a member; nothing that writes or costs the member much (no traces).
const MEMBER_METHODS = new Set(["flotilla_health", "eth_chainId", "eth_blockNumber", "eth_getBlockByNumber", "eth_getBlockByHash",
  "eth_getTransactionByHash", "eth_getTransactionReceipt", "eth_getBalance", "eth_getTransactionCount", "eth_getCode", "net_version"]);
// What the browser may send to the Ethereum endpoint: the standard read methods and raw transactions its wallet
// signed. Not the node's own signing (its unlocked accounts) nor a test node's controls (hardhat_*, evm_*, debug_*).
const NODE_SIGNING = new Set(["eth_sendTransaction", "eth_sign", "eth_signTransaction", "eth_signTypedData", "eth_signTypedData_v4"]);
const rpcAllowed = (method) => typeof method === "string" && /^(eth|net|web3)_\w+$/.test(method) && !NODE_SIGNING.has(method);
const PORTS_PER_NODE = 128 * 16; // NodeRegistry: UNITS_PER_NODE slots of PORTS_PER_SLOT ports from basePort
const NODES_FRESH_MS = 5_000;
export const SELECTOR_NODE_COUNT = "0x6da49b83"; // nodeCount()
export const SELECTOR_GET_NODE = "0x4f0f4aa9"; // getNode(uint256)

/**
 * The registered nodes' IPs and base ports, read from the NodeRegistry at `rpcUrl`: getNode(id) returns a NodeView
 * tuple whose head holds, after the tuple's offset, id, the name's offset, ip (bytes4) and basePort (uint16).
 */
export async function readRegisteredNodes(rpcUrl, registry) {
  const call = async (data) => {
    const res = await fetch(rpcUrl, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_call", params: [{ to: registry, data }, "latest"] }),
      signal: AbortSignal.timeout(5_000),
    });
    const answer = await res.json();
    if (answer.error || typeof answer.result !== "string") throw new Error(`NodeRegistry: ${answer.error?.message ?? "no result"}`);
    return answer.result.slice(2);
  };
  const count = Math.min(Number(BigInt("0x" + ((await call(SELECTOR_NODE_COUNT)) || "0"))), 100_000);
  const nodes = [];
  for (let first = 1; first <= count; first += 32) {
    const ids = Array.from({ length: Math.min(32, count - first + 1) }, (_, i) => first + i);
    for (const hex of await Promise.all(ids.map((id) => call(SELECTOR_GET_NODE + id.toString(16).padStart(64, "0"))))) {
      const word = (k) => hex.slice(64 * k, 64 * k + 64);
      const ip = [0, 2, 4, 6].map((j) => parseInt(word(3).slice(j, j + 2), 16)).join(".");
      nodes.push({ ip, basePort: parseInt(word(4), 16) });
    }
  }
  return nodes;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function send(res, status, body, type = "application/json") {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.end(typeof body === "string" || Buffer.isBuffer(body) ? body : JSON.stringify(body));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (c) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error("request body over 1 MiB"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/**
 * A JSON-RPC body read: `calls` as parsed, and `refusal`, the error to answer instead when the body is not JSON or
 * calls a method `allowed` refuses (null: pass it on).
 */
function screen(body, allowed) {
  let calls;
  try {
    calls = JSON.parse(body.toString("utf8"));
  } catch {
    return { calls: null, refusal: { jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } } };
  }
  const refused = (Array.isArray(calls) ? calls : [calls]).find((c) => !allowed(c?.method));
  const refusal = refused
    ? { jsonrpc: "2.0", id: refused?.id ?? null, error: { code: -32601, message: `the dashboard does not pass ${refused?.method} on` } }
    : null;
  return { calls, refusal };
}

/** Starts the server; resolves to { server, url, close() }. */
export function startServer(options) {
  const book = () => JSON.parse(readFileSync(options.addressBook, "utf8")); // re-read: a redeploy shows at once
  const devnetKey = options.devnetKeyFile ? readFileSync(options.devnetKeyFile, "utf8").trim() : null;
  // The nodes the pass-throughs may reach, re-read at most every NODES_FRESH_MS (one read at a time).
  const readNodes = options.registeredNodes ?? (() => {
    const registry = book().contracts?.NodeRegistry?.address;
    return registry ? readRegisteredNodes(options.rpcUrl, registry) : Promise.resolve([]);
  });
  let known = { at: -Infinity, nodes: [] };
  let reading = null;
  const registered = async () => {
    if (Date.now() - known.at < NODES_FRESH_MS) return known.nodes;
    reading ??= readNodes().then((nodes) => (known = { at: Date.now(), nodes }), () => known).finally(() => (reading = null));
    return (await reading).nodes;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://dashboard");
    try {
      if (url.pathname === "/config.json" && req.method === "GET") {
        return send(res, 200, { addressBook: book(), rpc: "/rpc", agentPort: options.agentPort, devnetWallet: devnetKey !== null });
      }
      if (url.pathname === "/rpc" && req.method === "POST") {
        const body = await readBody(req);
        const { refusal } = screen(body, rpcAllowed);
        if (refusal) return send(res, 200, refusal);
        const upstream = await fetch(options.rpcUrl, {
          method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(15_000),
        });
        return send(res, upstream.status, Buffer.from(await upstream.arrayBuffer()));
      }
      // An agent's status page. An agent that does not answer is a normal state of the network, so the answer is 200
      // with {"reachable": false} (a failed request would be an error in the browser's console).
      const agent = url.pathname.match(/^\/agent\/([^/]+)$/);
      if (agent && req.method === "GET") {
        if (!IPV4.test(agent[1])) return send(res, 400, { error: `not an IPv4 address: ${agent[1]}` });
        if (!(await registered()).some((n) => n.ip === agent[1])) return send(res, 403, { error: `not a registered node's address: ${agent[1]}` });
        try {
          const upstream = await fetch(`http://${agent[1]}:${options.agentPort}/api/v1/node`, { signal: AbortSignal.timeout(2_000) });
          return send(res, 200, { reachable: true, httpStatus: upstream.status, status: await upstream.json() });
        } catch (e) {
          return send(res, 200, { reachable: false, error: `no answer from ${agent[1]}:${options.agentPort} (${e.cause?.code ?? e.name})` });
        }
      }
      // A sidechain member's JSON-RPC, read-only methods only (the explorer and the members' heads). An unreachable
      // member is a JSON-RPC error (-32000) in a 200 answer, for the same reason as above.
      const member = url.pathname.match(/^\/member\/([^/]+)\/([^/]+)$/);
      if (member && req.method === "POST") {
        const [, ip, port] = member;
        if (!IPV4.test(ip) || !/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return send(res, 400, { error: "not an IPv4 address and port" });
        const p = Number(port);
        if (!(await registered()).some((n) => n.ip === ip && p >= n.basePort && p < n.basePort + PORTS_PER_NODE)) {
          return send(res, 403, { error: `not a registered node's member port: ${ip}:${port}` });
        }
        const body = await readBody(req);
        const { calls, refusal } = screen(body, (method) => MEMBER_METHODS.has(method));
        if (refusal) return send(res, 200, refusal);
        try {
          const upstream = await fetch(`http://${ip}:${port}/`, {
            method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(5_000),
          });
          return send(res, 200, Buffer.from(await upstream.arrayBuffer()));
        } catch (e) {
          const error = (c) => ({ jsonrpc: "2.0", id: c?.id ?? null, error: { code: -32000, message: `member ${ip}:${port} unreachable (${e.cause?.code ?? e.name})` } });
          return send(res, 200, Array.isArray(calls) ? calls.map(error) : error(calls));
        }
      }
      if (url.pathname === "/devnet/wallet.json" && req.method === "GET") {
        if (devnetKey === null) return send(res, 404, { error: "no devnet wallet: the server was started without --devnet-key-file" });
        return send(res, 200, { privateKey: devnetKey, note: "DEVELOPMENT ONLY: a public Hardhat key" });
      }
      if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: `${req.method} not allowed` });
      // Static files; any other path is the single-page app (hash routes need only index.html).
      let file = normalize(join(options.dist, decodeURIComponent(url.pathname)));
      if (!file.startsWith(options.dist) || !existsSync(file) || statSync(file).isDirectory()) file = join(options.dist, "index.html");
      if (!existsSync(file)) return send(res, 500, { error: "no build: run ./flotilla dashboard (it builds dashboard/dist)" });
      return send(res, 200, readFileSync(file), TYPES[extname(file)] ?? "application/octet-stream");
    } catch (e) {
      return send(res, 502, { jsonrpc: "2.0", id: null, error: { code: -32603, message: `dashboard server: ${e.message}` } });
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      const { port } = server.address();
      resolve({ server, url: `http://${options.host}:${port}/`, close: () => new Promise((r) => server.close(r)) });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
    if (!existsSync(options.addressBook)) throw new Error(`no address book ${options.addressBook} (deploy first: ./flotilla deploy or devnet up)`);
  } catch (e) {
    console.error(`flotilla dashboard: ${e.message}`);
    process.exit(2);
  }
  startServer(options).then(
    ({ url }) => console.log(`dashboard ${url}  (Ethereum ${options.rpcUrl}, address book ${options.addressBook})`),
    (e) => {
      console.error(`flotilla dashboard: cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`);
      process.exit(1);
    },
  );
}
