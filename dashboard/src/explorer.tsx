// A small explorer over one member's JSON-RPC (through the server's read-only pass-through): the latest blocks
// (live), a block's transactions, a transaction with its receipt and logs, an address's balance and nonce.
import { JsonRpcProvider } from "ethers";
import { useEffect, useMemo, useState } from "preact/hooks";
import { classify, eth, short } from "./format";
import { memberEndpoint } from "./network";

export type Target = { ip: string; port: number; chainId: number; base: string };

function useProvider(t: Target) {
  return useMemo(() => new JsonRpcProvider(memberEndpoint(t.ip, t.port), t.chainId, { staticNetwork: true, batchMaxCount: 1 }), [t.ip, t.port, t.chainId]);
}

/** Runs `load` now and every `ms` (when given) while mounted; returns [value, error]. */
function usePoll<T>(load: () => Promise<T>, deps: unknown[], ms?: number): [T | undefined, string | undefined] {
  const [value, setValue] = useState<T>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    setValue(undefined); // what another endpoint or block said is not shown for this one
    setError(undefined);
    const run = async () => {
      try {
        const v = await load();
        if (live) {
          setValue(() => v);
          setError(undefined);
        }
      } catch (e: any) {
        if (live) setError(e.error?.message ?? e.shortMessage ?? e.message);
      }
      if (live && ms) timer = window.setTimeout(run, ms);
    };
    run();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, deps);
  return [value, error];
}

export function Search({ base }: { base: string }) {
  const [q, setQ] = useState("");
  const [bad, setBad] = useState(false);
  const go = (e: Event) => {
    e.preventDefault();
    const c = classify(q);
    setBad(c === null);
    if (!c) return;
    location.hash = c.kind === "block" ? `${base}/block/${c.number}` : c.kind === "tx" ? `${base}/tx/${c.hash}` : `${base}/address/${c.address}`;
  };
  return (
    <form class="search" onSubmit={go}>
      <input data-testid="explorer-search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        placeholder="block number, transaction hash or address" size={70} />
      <button type="submit">Find</button>
      {bad && <span class="error"> not a block number, a transaction hash or an address</span>}
    </form>
  );
}

export function LatestBlocks({ target }: { target: Target }) {
  const provider = useProvider(target);
  const [blocks, error] = usePoll(async () => {
    const head = await provider.getBlockNumber();
    const numbers = Array.from({ length: Math.min(10, head + 1) }, (_, i) => head - i);
    return Promise.all(numbers.map((n) => provider.getBlock(n)));
  }, [provider], 2000);
  return (
    <div>
      <h3>Latest blocks</h3>
      {error && <p class="error">{error}</p>}
      <table data-testid="latest-blocks">
        <thead><tr><th>block</th><th>hash</th><th>time</th><th>txs</th><th>gas used</th></tr></thead>
        <tbody>
          {(blocks ?? []).filter(Boolean).map((b) => (
            <tr key={b!.number}>
              <td><a href={`${target.base}/block/${b!.number}`}>{b!.number}</a></td>
              <td class="mono">{short(b!.hash!, 8)}</td>
              <td>{new Date(b!.timestamp * 1000).toLocaleTimeString()}</td>
              <td>{b!.transactions.length}</td>
              <td>{b!.gasUsed.toString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function BlockView({ target, number }: { target: Target; number: number }) {
  const provider = useProvider(target);
  const [block, error] = usePoll(() => provider.getBlock(number, true), [provider, number]);
  if (error) return <p class="error">{error}</p>;
  if (block === undefined) return <p>loading block {number}…</p>;
  if (block === null) return <p class="error">no block {number} on this chain (yet)</p>;
  return (
    <div data-testid="block">
      <h3>Block {block.number}</h3>
      <dl>
        <dt>hash</dt><dd class="mono">{block.hash}</dd>
        <dt>parent</dt><dd class="mono"><a href={`${target.base}/block/${block.number - 1}`}>{block.parentHash}</a></dd>
        <dt>time</dt><dd>{new Date(block.timestamp * 1000).toISOString()}</dd>
        <dt>gas used / limit</dt><dd>{block.gasUsed.toString()} / {block.gasLimit.toString()}</dd>
        <dt>proposer</dt><dd class="mono">{block.miner}</dd>
      </dl>
      <h4>{block.prefetchedTransactions.length} transactions</h4>
      <table data-testid="block-txs">
        <thead><tr><th>hash</th><th>from</th><th>to</th><th>value</th></tr></thead>
        <tbody>
          {block.prefetchedTransactions.map((tx) => (
            <tr key={tx.hash}>
              <td class="mono"><a href={`${target.base}/tx/${tx.hash}`}>{short(tx.hash, 8)}</a></td>
              <td class="mono"><a href={`${target.base}/address/${tx.from}`}>{short(tx.from)}</a></td>
              <td class="mono">{tx.to ? <a href={`${target.base}/address/${tx.to}`}>{short(tx.to)}</a> : "(contract creation)"}</td>
              <td>{eth(tx.value)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function TxView({ target, hash }: { target: Target; hash: string }) {
  const provider = useProvider(target);
  // Polled until the receipt exists: a transaction sent a moment ago shows once it is in a block.
  const [data, error] = usePoll(async () => {
    const [tx, receipt] = await Promise.all([provider.getTransaction(hash), provider.getTransactionReceipt(hash)]);
    return { tx, receipt };
  }, [provider, hash], 2000);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p>loading transaction…</p>;
  const { tx, receipt } = data;
  if (!tx) return <p class="error">no transaction {hash} on this chain</p>;
  return (
    <div data-testid="tx">
      <h3>Transaction</h3>
      <dl>
        <dt>hash</dt><dd class="mono">{tx.hash}</dd>
        <dt>status</dt><dd data-testid="tx-status">{receipt ? (receipt.status === 1 ? "success" : "reverted") : "pending"}</dd>
        <dt>block</dt><dd>{receipt ? <a href={`${target.base}/block/${receipt.blockNumber}`}>{receipt.blockNumber}</a> : "-"}</dd>
        <dt>from</dt><dd class="mono"><a href={`${target.base}/address/${tx.from}`}>{tx.from}</a></dd>
        <dt>to</dt><dd class="mono">{tx.to ? <a href={`${target.base}/address/${tx.to}`}>{tx.to}</a> : `(created ${receipt?.contractAddress ?? "…"})`}</dd>
        <dt>value</dt><dd data-testid="tx-value">{eth(tx.value, 18)}</dd>
        <dt>nonce</dt><dd>{tx.nonce}</dd>
        <dt>gas used / limit</dt><dd>{receipt ? receipt.gasUsed.toString() : "-"} / {tx.gasLimit.toString()}</dd>
        <dt>gas price</dt><dd>{(receipt?.gasPrice ?? tx.gasPrice ?? 0n).toString()} wei</dd>
        <dt>input</dt><dd class="mono wrap">{tx.data.length > 2 ? tx.data.slice(0, 202) + (tx.data.length > 202 ? "…" : "") : "(none)"}</dd>
      </dl>
      <h4>{receipt?.logs.length ?? 0} logs</h4>
      <table data-testid="tx-logs">
        <thead><tr><th>#</th><th>address</th><th>topics</th><th>data</th></tr></thead>
        <tbody>
          {(receipt?.logs ?? []).map((l) => (
            <tr key={l.index}>
              <td>{l.index}</td>
              <td class="mono">{short(l.address)}</td>
              <td class="mono">{l.topics.map((t) => <div key={t}>{short(t, 8)}</div>)}</td>
              <td class="mono wrap">{l.data.length > 66 ? l.data.slice(0, 66) + "…" : l.data}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function AddressView({ target, address }: { target: Target; address: string }) {
  const provider = useProvider(target);
  const [data, error] = usePoll(async () => {
    const [balance, nonce, code] = await Promise.all([provider.getBalance(address), provider.getTransactionCount(address), provider.getCode(address)]);
    return { balance, nonce, code };
  }, [provider, address], 3000);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p>loading account…</p>;
  return (
    <div data-testid="address">
      <h3>Address</h3>
      <dl>
        <dt>address</dt><dd class="mono">{address}</dd>
        <dt>balance</dt><dd data-testid="address-balance">{eth(data.balance, 18)}</dd>
        <dt>nonce</dt><dd data-testid="address-nonce">{data.nonce}</dd>
        <dt>code</dt><dd>{data.code === "0x" ? "none (an account)" : `${(data.code.length - 2) / 2} bytes (a contract)`}</dd>
      </dl>
    </div>
  );
}

/** The explorer's route below `target.base`: "", "block/N", "tx/HASH", "address/ADDR". */
export function Explorer({ target, rest }: { target: Target; rest: string[] }) {
  const [kind, arg] = rest;
  return (
    <section class="explorer" data-testid="explorer">
      <h2>Explorer <small>via {target.ip}:{target.port}</small></h2>
      <Search base={target.base} />
      {kind === "block" && <BlockView target={target} number={Number(arg)} />}
      {kind === "tx" && <TxView target={target} hash={arg} />}
      {kind === "address" && <AddressView target={target} address={arg} />}
      {!kind && <LatestBlocks target={target} />}
      {kind && <p><a href={target.base}>latest blocks</a></p>}
    </section>
  );
}
