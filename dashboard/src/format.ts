// Pure helpers: names of the contracts' enums, addresses and ports, durations, amounts (unit-tested in format.test.ts).
import { formatEther } from "ethers";

export const NODE_STATUS = ["None", "Active", "InMaintenance", "Leaving", "Left"];
export const CHAIN_STATUS = ["None", "Active", "Removed", "Pending"];
export const DRAW_KIND = ["None", "Creation", "NodeExit", "Periodic", "Liveness", "Resize"];
export const ROTATION_REASON = ["exit", "period", "report", "resize"];

/** PortLayout.RPC_HTTP: a member's JSON-RPC over HTTP is its first port + 2, WebSocket + 3 (docs/chain.md). */
export const RPC_HTTP_OFFSET = 2;
/** The EVM chain id of manager chain `id` (0x464C0000 + id, "FL"). */
export const evmChainId = (id: bigint | number) => 0x464c0000 + Number(id);

/** "0x7f00000b" (bytes4 of NodeView.ip) -> "127.0.0.11". */
export function ipOf(bytes4: string): string {
  const hex = bytes4.replace(/^0x/, "");
  if (!/^[0-9a-fA-F]{8}$/.test(hex)) throw new Error(`not a bytes4 IPv4 address: ${bytes4}`);
  return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".");
}

export function memberRpcUrl(ip: string, firstPort: number | bigint): string {
  return `http://${ip}:${Number(firstPort) + RPC_HTTP_OFFSET}`;
}

/** Seconds as "29d 23h", "5h 3m", "42s"; "expired" at or below zero. */
export function duration(seconds: number | bigint): string {
  let s = Number(seconds);
  if (s <= 0) return "expired";
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  s = Math.floor(s % 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** Lifetimes as the CLI takes them: "3600", "90m", "12h", "30d", "2w" -> seconds. */
export function parseLifetime(text: string): number {
  const m = text.trim().match(/^(\d+)\s*([smhdw]?)$/);
  if (!m) throw new Error(`not a lifetime: '${text}' (e.g. 3600, 90m, 12h, 30d, 2w)`);
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]]!;
  return Number(m[1]) * unit;
}

/** Wei as ETH with at most `digits` decimals, trailing zeros cut. */
export function eth(wei: bigint, digits = 4): string {
  const [whole, frac = ""] = formatEther(wei).split(".");
  const cut = frac.slice(0, digits).replace(/0+$/, "");
  return `${Number(whole).toLocaleString("en-US")}${cut ? "." + cut : ""} ETH`;
}

export function short(hex: string, keep = 6): string {
  return hex.length <= 2 + keep * 2 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** What the explorer's search box means: a block number, a 32-byte hash (transaction) or an address. */
export function classify(query: string): { kind: "block"; number: number } | { kind: "tx"; hash: string } | { kind: "address"; address: string } | null {
  const q = query.trim();
  if (/^\d+$/.test(q)) return { kind: "block", number: Number(q) };
  if (/^0x[0-9a-fA-F]{64}$/.test(q)) return { kind: "tx", hash: q.toLowerCase() };
  if (/^0x[0-9a-fA-F]{40}$/.test(q)) return { kind: "address", address: q };
  return null;
}
