// The dashboard: the network (validators, nodes, images, chains, activity), each chain (members and their heads,
// rotations, the owner's actions, an explorer), kept live by the Network poller. Hash routes:
//   #/                      the network
//   #/chain/ID[/block/N | /tx/HASH | /address/ADDR]   a chain and its explorer (through one member)
//   #/rpc/IP/PORT/CHAINID[/...]                        the explorer on any Flotilla member's JSON-RPC
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { Contract } from "ethers";
import "./style.css";
import { ChainDetail, Config, Network, Snapshot, agentHealth, AgentHealth, memberHealth, MemberHealth, memberEndpoint } from "./network";
import { CHAIN_STATUS, DRAW_KIND, NODE_STATUS, ROTATION_REASON, duration, eth, evmChainId, memberRpcUrl, parseLifetime, short, RPC_HTTP_OFFSET } from "./format";
import { Explorer } from "./explorer";
import { injectDevnetWallet, signer } from "./wallet";

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return hash.replace(/^#\/?/, "").split("/").filter(Boolean);
}

function useSnapshot(net: Network) {
  const [, setTick] = useState(0);
  useEffect(() => net.subscribe(() => setTick((t) => t + 1)), [net]);
  return net.snapshot;
}

/** The connected wallet account, if any (asked on demand: a page load never opens a wallet prompt). */
function useAccount(): [string | null, () => Promise<void>] {
  const [account, setAccount] = useState<string | null>(null);
  useEffect(() => {
    window.ethereum?.request({ method: "eth_accounts" }).then((a: any) => setAccount(a?.[0] ?? null)).catch(() => {});
  }, []);
  const connect = async () => {
    const s = await signer();
    setAccount(s ? await s.getAddress() : null);
  };
  return [account, connect];
}

/** A contract error as one line: the custom error's name and values, else ethers' short message. */
function reason(net: Network, e: any): string {
  const data = e?.data ?? e?.info?.error?.data ?? e?.error?.data;
  if (typeof data === "string" && data.length >= 10) {
    for (const [name, iface] of Object.entries(net.interfaces)) {
      try {
        const err = iface.parseError(data);
        if (err) return `${name} refused: ${err.name}(${err.args.map((a: any) => String(a)).join(", ")})`;
      } catch {
        // not this contract's error
      }
    }
  }
  if (e?.revert) return `refused: ${e.revert.name}(${e.revert.args.map(String).join(", ")})`;
  return e?.shortMessage ?? e?.message ?? String(e);
}

function App({ net }: { net: Network }) {
  const route = useHash();
  const snap = useSnapshot(net);
  const [account, connect] = useAccount();
  return (
    <>
      <header>
        <a href="#/" class="brand">Flotilla</a>
        <span data-testid="eth-block">Ethereum chain {net.config.addressBook.chainId} · block {snap?.block ?? "…"}</span>
        <span class="grow" />
        {account
          ? <span data-testid="account">wallet {short(account)}{window.ethereum?.isFlotillaDevnet ? " (devnet developer key)" : ""}</span>
          : <button data-testid="connect" onClick={() => connect().catch(() => {})} disabled={!window.ethereum}
              title={window.ethereum ? "" : "no wallet in this browser (an EIP-1193 provider such as MetaMask)"}>Connect wallet</button>}
      </header>
      {net.error && <p class="error banner">{net.error}</p>}
      <main>
        {!snap ? <p>reading the contracts…</p>
          : route[0] === "chain" ? <ChainPage net={net} snap={snap} id={Number(route[1])} rest={route.slice(2)} account={account} />
          : route[0] === "rpc" ? <Explorer target={{ ip: route[1], port: Number(route[2]), chainId: Number(route[3]), base: `#/rpc/${route[1]}/${route[2]}/${route[3]}` }} rest={route.slice(4)} />
          : <NetworkPage net={net} snap={snap} account={account} connect={connect} />}
      </main>
    </>
  );
}

// ------------------------------------------------------------------ the network

/**
 * The image a new chain gets: the newest published subnode version that is not revoked. (ImageRegistry.latestVersion
 * is the last one published, revoked or not.)
 */
function usableImage(snap: Snapshot): string {
  const usable = snap.images.filter((i) => i.component === "subnode" && !i.revoked).sort((a, b) => b.sequence - a.sequence);
  return usable[0]?.version ?? "";
}

function NetworkPage({ net, snap, account, connect }: { net: Network; snap: Snapshot; account: string | null; connect: () => Promise<void> }) {
  return (
    <>
      <section>
        <h2>Chains</h2>
        <table data-testid="chains">
          <thead><tr><th>id</th><th>name</th><th>status</th><th>type</th><th>owner</th><th>members</th><th>lifetime left</th><th>image</th></tr></thead>
          <tbody>
            {snap.chains.map((c) => (
              <tr key={c.id} data-chain={c.name}>
                <td>{c.id}</td>
                <td><a href={`#/chain/${c.id}`}>{c.name}</a></td>
                <td>{CHAIN_STATUS[c.status]}{c.drawKind ? ` (draw: ${DRAW_KIND[c.drawKind]})` : ""}</td>
                <td>{c.typeName}</td>
                <td class="mono">{short(c.owner)}</td>
                <td>{c.members.join(", ")}</td>
                <td>{c.status === 2 ? "-" : duration(c.expiresAt - snap.time)}</td>
                <td>{c.imageVersion}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {snap.chains.length === 0 && <p>No chains yet.</p>}
        <CreateChain net={net} snap={snap} account={account} connect={connect} />
      </section>
      <section>
        <h2>Validators</h2>
        <table data-testid="validators">
          <thead><tr><th>id</th><th>name</th><th>owner</th><th>stake</th><th>active nodes</th><th>nodes</th><th>commission</th></tr></thead>
          <tbody>
            {snap.validators.map((v) => (
              <tr key={v.id}>
                <td>{v.id}</td><td>{v.name}</td><td class="mono">{short(v.owner)}</td><td>{eth(v.stake)}</td><td>{v.activeNodes}</td>
                <td>{snap.nodes.filter((n) => n.validatorId === v.id).map((n) => n.id).join(", ")}</td>
                <td>{v.commissionBps / 100}%</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Nodes snap={snap} />
      <section>
        <h2>Images</h2>
        <p data-testid="latest-image">Latest published subnode image: <b>{snap.latestImage || "none"}</b>
          {snap.images.find((i) => i.version === snap.latestImage)?.revoked && <> (revoked; new chains get {usableImage(snap) || "none"})</>}</p>
        <table data-testid="images">
          <thead><tr><th>version</th><th>component</th><th>digest</th><th>sequence</th><th>published</th><th>revoked</th></tr></thead>
          <tbody>
            {snap.images.map((i) => (
              <tr key={i.version} class={i.revoked ? "revoked" : ""}>
                <td>{i.version}</td><td>{i.component}</td><td class="mono" title={i.digest}>sha256:{i.digest.slice(2, 14)}…</td>
                <td>{i.sequence}</td><td>{new Date(i.publishedAt * 1000).toISOString().slice(0, 19).replace("T", " ")}</td>
                <td>{i.revoked ? "revoked" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <Activity net={net} />
    </>
  );
}

function Nodes({ snap }: { snap: Snapshot }) {
  const [health, setHealth] = useState<Record<string, AgentHealth>>({});
  const ips = snap.nodes.map((n) => n.ip).join(",");
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      const entries = await Promise.all(snap.nodes.map(async (n) => [n.ip, await agentHealth(n.ip)] as const));
      if (!live) return;
      setHealth(Object.fromEntries(entries));
      timer = window.setTimeout(run, 5000);
    };
    run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [ips]);
  return (
    <section>
      <h2>Nodes</h2>
      <table data-testid="nodes">
        <thead><tr><th>id</th><th>name</th><th>status</th><th>validator</th><th>address</th><th>ip : base port</th><th>capacity</th><th>free units</th><th>agent</th></tr></thead>
        <tbody>
          {snap.nodes.map((n) => {
            const h = health[n.ip];
            return (
              <tr key={n.id} data-node={n.id}>
                <td>{n.id}</td><td>{n.name}</td>
                <td class={`status-${NODE_STATUS[n.status]}`}>{NODE_STATUS[n.status]}{n.incompliant ? " (incompliant)" : ""}</td>
                <td>{n.validatorId}</td><td class="mono">{short(n.address)}</td><td>{n.ip}:{n.basePort}</td>
                <td>{n.capacity.cpuMillicores / 1000} cores, {n.capacity.memoryMiB} MiB, {n.capacity.diskGiB} GiB</td>
                <td>{n.freeUnits} / 128</td>
                <td title={h?.error ?? h?.problems?.join("; ") ?? ""}>{!h ? "…" : h.reachable ? h.health : "unreachable"}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Activity({ net }: { net: Network }) {
  return (
    <section>
      <h2>Activity <small>(the contracts' events, newest first)</small></h2>
      <table data-testid="activity">
        <thead><tr><th>block</th><th>contract</th><th>event</th><th>values</th></tr></thead>
        <tbody>
          {net.activity.slice(0, 15).map((a, i) => (
            <tr key={`${a.tx}-${i}`}><td>{a.block}</td><td>{a.contract}</td><td>{a.name}</td><td class="mono small">{a.text}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** Sends `call` through the wallet, waits for it, then finalizes the draw it requested (from a later block). */
async function send(net: Network, call: (m: Contract) => Promise<any>, log: (s: string) => void) {
  const s = await signer();
  if (!s) throw new Error("no wallet: install one (an EIP-1193 provider) or use the devnet");
  const m = net.manager.connect(s) as Contract;
  const tx = await call(m);
  log(`sent ${short(tx.hash, 8)}, waiting for its block…`);
  return { receipt: await tx.wait(), manager: m };
}

/**
 * Finalizes the pending draw of chain `id` unless someone (an agent) did already. The contract wants a block after
 * the seed block; a network that mines only on demand (the devnet's Hardhat node) makes none by itself, so after a
 * few seconds the call goes out with a fixed gas limit (no estimate, which would run in the seed block) and lands in
 * the next block.
 */
async function finalizeWhenReady(net: Network, manager: Contract, id: number, log: (s: string) => void) {
  for (let i = 0; ; i++) {
    const draw = await net.manager.pendingDraw(id);
    if (Number(draw.kind) === 0) return;
    const ready = (await net.provider.getBlockNumber()) > Number(draw.seedBlock);
    if (ready || i >= 3) {
      log("drawing the members (finalizeDraw)…");
      await (await manager.finalizeDraw(id, ready ? {} : { gasLimit: FINALIZE_GAS })).wait();
      return;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** A 16-member draw costs about 1.3 M gas (docs/benchmarks.md), a 64-member one about four times that; unused gas is not paid. */
const FINALIZE_GAS = 8_000_000n;

function CreateChain({ net, snap, account, connect }: { net: Network; snap: Snapshot; account: string | null; connect: () => Promise<void> }) {
  const types = snap.chainTypes.filter((t) => t.enabled);
  const [name, setName] = useState("");
  const [type, setType] = useState(types.find((t) => t.name === "dev4")?.name ?? types[0]?.name ?? "");
  const [lifetime, setLifetime] = useState("1d");
  const [price, setPrice] = useState<bigint | null>(null);
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    let seconds: number;
    try {
      seconds = parseLifetime(lifetime);
    } catch {
      setPrice(null);
      return;
    }
    net.manager.priceOf(type, seconds).then(setPrice, () => setPrice(null));
  }, [type, lifetime, snap.block]);
  const create = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      if (!account) await connect();
      const seconds = parseLifetime(lifetime);
      const { manager } = await send(net, (m) => m.createSidechain(name, type, seconds, { consensus: "bft", imageVersion: usableImage(snap) }, { value: price ?? 0n }), setStatus);
      const id = Number(await net.manager.chainIdOf(name));
      await finalizeWhenReady(net, manager, id, setStatus);
      setStatus(`created chain ${id}`);
      location.hash = `#/chain/${id}`;
    } catch (err) {
      setStatus(reason(net, err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="create" onSubmit={create} data-testid="create-chain">
      <h3>Create a chain</h3>
      <label>name <input data-testid="create-name" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} /></label>
      <label>type <select data-testid="create-type" value={type} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
        {types.map((t) => <option key={t.name} value={t.name}>{t.name} ({t.nodeCount} nodes × {t.unitsPerNode} units)</option>)}
      </select></label>
      <label>lifetime <input data-testid="create-lifetime" value={lifetime} size={6} onInput={(e) => setLifetime((e.target as HTMLInputElement).value)} /></label>
      <span>image {usableImage(snap) || "none"}, engine bft</span>
      <button type="submit" data-testid="create-submit" disabled={busy || !window.ethereum || price === null}>
        Create and pay {price === null ? "…" : eth(price, 6)}
      </button>
      {!window.ethereum && <span class="muted"> (needs a wallet)</span>}
      {status && <p data-testid="create-status">{status}</p>}
    </form>
  );
}

// ------------------------------------------------------------------ one chain

function ChainPage({ net, snap, id, rest, account }: { net: Network; snap: Snapshot; id: number; rest: string[]; account: string | null }) {
  const chain = snap.chains.find((c) => c.id === id);
  const [detail, setDetail] = useState<ChainDetail | null>(null);
  const [heads, setHeads] = useState<Record<number, MemberHealth>>({});
  useEffect(() => {
    if (chain) net.chainDetail(id).then(setDetail, () => setDetail(null));
  }, [id, snap]); // a new snapshot means the contracts changed (or 10 blocks passed)
  const members = detail?.members ?? [];
  const key = members.map((m) => `${m.ip}:${m.firstPort}`).join(",");
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const run = async () => {
      const entries = await Promise.all(members.map(async (m) => [m.nodeId, await memberHealth(memberEndpoint(m.ip, m.firstPort + RPC_HTTP_OFFSET))] as const));
      if (!live) return;
      setHeads(Object.fromEntries(entries));
      timer = window.setTimeout(run, 2000);
    };
    run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [key]);
  if (!chain) return <p class="error">no chain {id} (chains run from 1 to {snap.chains.length})</p>;
  const nodeOf = (nodeId: number) => snap.nodes.find((n) => n.id === nodeId);
  // The explorer reads the first member that answers (any member serves the same blocks), once the members were asked.
  const asked = members.length > 0 && members.every((m) => heads[m.nodeId] !== undefined);
  const reader = members.find((m) => (heads[m.nodeId]?.head ?? -1) >= 0);
  const owner = account !== null && account.toLowerCase() === chain.owner.toLowerCase();
  return (
    <>
      <section data-testid="chain">
        <h2>Chain {chain.name} <small>#{chain.id} · EVM chain id {evmChainId(chain.id)}</small></h2>
        <dl>
          <dt>status</dt><dd data-testid="chain-status">{CHAIN_STATUS[chain.status]}{chain.drawKind ? `, draw pending: ${DRAW_KIND[chain.drawKind]}` : ""}</dd>
          <dt>owner</dt><dd class="mono">{chain.owner}</dd>
          <dt>type</dt><dd>{chain.typeName} ({chain.members.length} members × {chain.unitsPerNode} units)</dd>
          <dt>lifetime left</dt><dd>{chain.status === 2 ? "removed" : duration(chain.expiresAt - snap.time)} (until {new Date(chain.expiresAt * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC)</dd>
          <dt>engine</dt><dd>{chain.consensus}</dd>
          <dt>image</dt><dd>{chain.imageVersion} <span class="mono small">{chain.imageDigest}</span></dd>
        </dl>
        {chain.drawKind !== 0 && <FinalizeDraw net={net} id={id} />}
        {owner && chain.status !== 2 && <OwnerActions net={net} snap={snap} id={id} />}
        <h3>Members</h3>
        <table data-testid="members">
          <thead><tr><th>node</th><th>name</th><th>node address</th><th>slot</th><th>JSON-RPC URL</th><th>head</th><th>finalizing</th></tr></thead>
          <tbody>
            {members.map((m) => {
              const h = heads[m.nodeId];
              return (
                <tr key={m.nodeId} data-member={m.nodeId}>
                  <td>{m.nodeId}</td><td>{nodeOf(m.nodeId)?.name}</td><td class="mono">{short(m.address)}</td><td>{m.slot}</td>
                  <td class="mono">{memberRpcUrl(m.ip, m.firstPort)}</td>
                  <td>{!h ? "…" : h.head >= 0 ? h.head : <span class="muted" title={h.error}>{h.error}</span>}</td>
                  <td>{!h ? "…" : h.finalizing === null ? "?" : h.finalizing ? "yes" : "no"}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <h3>Rotations</h3>
        <table data-testid="rotations">
          <thead><tr><th>#</th><th>reason</th><th>leaving node</th><th>joining node</th><th>started</th><th>leaving member serves until</th></tr></thead>
          <tbody>
            {(detail?.rotations ?? []).map((r, i) => (
              <tr key={i}>
                <td>{i + 1}</td><td>{ROTATION_REASON[r.reason]}</td><td>{r.leavingNode}</td><td>{r.joiningNode}</td>
                <td>{new Date(r.startedAt * 1000).toISOString().slice(0, 19).replace("T", " ")}</td>
                <td>{r.finishAt > snap.time ? `in ${duration(r.finishAt - snap.time)}` : "done"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {detail && detail.rotations.length === 0 && <p>No rotation yet.</p>}
        {detail && detail.reports.length > 0 && (
          <>
            <h4>Reports of members down</h4>
            <ul data-testid="reports">{detail.reports.map((r, i) => <li key={i}>block {r.block}: node {r.reporter} reported node {r.nodeId} ({r.reports}/{r.quorum})</li>)}</ul>
          </>
        )}
      </section>
      {reader
        ? <Explorer target={{ ip: reader.ip, port: reader.firstPort + RPC_HTTP_OFFSET, chainId: evmChainId(chain.id), base: `#/chain/${id}` }} rest={rest} />
        : <section class="explorer"><h2>Explorer</h2><p class="muted" data-testid="explorer-waiting">
            {asked ? "No member of this chain answers its JSON-RPC (yet): the explorer reads through one that does." : "asking the members…"}</p></section>}
    </>
  );
}

function FinalizeDraw({ net, id }: { net: Network; id: number }) {
  const [status, setStatus] = useState("");
  const go = async () => {
    try {
      const s = await signer();
      if (!s) throw new Error("no wallet");
      await finalizeWhenReady(net, net.manager.connect(s) as Contract, id, setStatus);
      setStatus("draw finalized");
    } catch (e) {
      setStatus(reason(net, e));
    }
  };
  return (
    <p>A draw is pending (the agents finalize it; anyone may).{" "}
      <button onClick={go} disabled={!window.ethereum} data-testid="finalize">Finalize the draw</button> {status}</p>
  );
}

function OwnerActions({ net, snap, id }: { net: Network; snap: Snapshot; id: number }) {
  const chain = snap.chains.find((c) => c.id === id)!;
  const [extra, setExtra] = useState("1d");
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const run = async (what: () => Promise<void>) => {
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setStatus(reason(net, e));
    } finally {
      setBusy(false);
    }
  };
  const extend = () => run(async () => {
    const seconds = parseLifetime(extra);
    const price = await net.manager.priceOf(chain.typeName, seconds);
    await send(net, (m) => m.extendLifetime(id, seconds, { value: price }), setStatus);
    setStatus(`extended by ${duration(seconds)} for ${eth(price, 6)}`);
  });
  // resizeSidechain: the owner pays pricePerUnitSecond x (units' x nodes' - units x nodes) x the time left, or is
  // refunded that amount when it is negative; the price is computed on the last block read, which overestimates it
  // a little (the contract refunds any value above it). A resize that grows the chain needs a draw.
  const others = snap.chainTypes.filter((t) => t.enabled && t.name !== chain.typeName);
  const [target, setTarget] = useState(others[0]?.name ?? "");
  const resize = () => run(async () => {
    const t = snap.chainTypes.find((x) => x.name === target);
    if (!t) throw new Error("choose a chain type");
    const { pricePerUnitSecond } = await net.manager.parameters();
    const delta = BigInt(t.unitsPerNode * t.nodeCount - chain.unitsPerNode * chain.members.length);
    const price = delta > 0n ? pricePerUnitSecond * delta * BigInt(Math.max(0, chain.expiresAt - snap.time)) : 0n;
    const { manager } = await send(net, (m) => m.resizeSidechain(id, target, { value: price }), setStatus);
    await finalizeWhenReady(net, manager, id, setStatus);
    setStatus(`resized to ${target}${price > 0n ? ` for ${eth(price, 6)}` : ""}`);
  });
  const remove = () => run(async () => {
    if (!confirm(`Delete chain ${chain.name}? There is no refund and the name stays taken.`)) return;
    await send(net, (m) => m.deleteSidechain(id), setStatus);
    setStatus("deleted");
  });
  return (
    <div class="owner" data-testid="owner-actions">
      <b>Owner</b>{" "}
      <label>extend by <input value={extra} size={5} onInput={(e) => setExtra((e.target as HTMLInputElement).value)} /></label>{" "}
      <button onClick={extend} disabled={busy} data-testid="extend">Extend lifetime</button>{" "}
      <label>resize to <select value={target} data-testid="resize-type" onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
        {others.map((t) => <option key={t.name} value={t.name}>{t.name} ({t.nodeCount} nodes × {t.unitsPerNode} units)</option>)}
      </select></label>{" "}
      <button onClick={resize} disabled={busy || !target} data-testid="resize">Resize</button>{" "}
      <button onClick={remove} disabled={busy} class="danger" data-testid="delete">Delete chain</button>
      {status && <p data-testid="owner-status">{status}</p>}
    </div>
  );
}

// ------------------------------------------------------------------ start

async function start() {
  const root = document.getElementById("app")!;
  try {
    const config: Config = await (await fetch("/config.json")).json();
    const net = new Network(config);
    await injectDevnetWallet(config.devnetWallet, net.provider, config.addressBook.chainId);
    net.start();
    root.textContent = ""; // the "loading…" placeholder
    render(<App net={net} />, root);
  } catch (e: any) {
    root.textContent = `The dashboard could not start: ${e.message}`;
  }
}

start();
