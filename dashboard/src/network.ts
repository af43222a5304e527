// Reads the manager contracts through the address book and the ABIs of the Hardhat artifacts, and keeps a snapshot
// of the network live: every new block's logs of the four contracts are fetched (eth_getLogs by address), decoded
// into the activity feed, and any event reloads the snapshot. Nothing reloads the page.
import { Contract, Interface, JsonRpcProvider, Log } from "ethers";
import abis from "virtual:flotilla-abis";
import { ipOf } from "./format";

export type Config = { addressBook: any; rpc: string; agentPort: number; devnetWallet: boolean };

export type Validator = { id: number; name: string; owner: string; stake: bigint; activeNodes: number; commissionBps: number };
export type NodeInfo = {
  id: number; name: string; ip: string; basePort: number; address: string; validatorId: number; status: number;
  freeUnits: number; capacity: { cpuMillicores: number; memoryMiB: number; diskGiB: number }; incompliant: boolean; domain: string;
};
export type Image = { version: string; component: string; digest: string; sequence: number; publishedAt: number; revoked: boolean };
export type ChainInfo = {
  id: number; name: string; owner: string; typeName: string; unitsPerNode: number; status: number; createdAt: number;
  expiresAt: number; lastRotationAt: number; consensus: string; imageVersion: string; imageDigest: string; members: number[];
  drawKind: number;
};
export type Member = { nodeId: number; address: string; ip: string; slot: number; firstPort: number };
export type Rotation = { leavingNode: number; joiningNode: number; startedAt: number; finishAt: number; reason: number };
export type Report = { block: number; nodeId: number; reporter: number; reports: number; quorum: number };
export type ChainDetail = { members: Member[]; rotations: Rotation[]; reports: Report[] };
export type Activity = { block: number; tx: string; contract: string; name: string; text: string };
export type Snapshot = {
  block: number; time: number; validators: Validator[]; nodes: NodeInfo[]; images: Image[]; latestImage: string;
  chains: ChainInfo[]; chainTypes: { name: string; unitsPerNode: number; nodeCount: number; enabled: boolean }[];
};

export const CONTRACTS = ["SidechainManager", "NodeRegistry", "ValidatorRegistry", "ImageRegistry"] as const;

export class Network {
  readonly provider: JsonRpcProvider;
  readonly manager: Contract;
  readonly nodes: Contract;
  readonly validators: Contract;
  readonly images: Contract;
  readonly interfaces: Record<string, Interface>;
  readonly fromBlock: number;
  snapshot: Snapshot | null = null;
  activity: Activity[] = [];
  error: string | null = null;
  private listeners = new Set<() => void>();
  private lastBlock = -1;
  private timer: number | undefined;
  private byAddress = new Map<string, string>();

  constructor(readonly config: Config) {
    const book = config.addressBook;
    this.provider = new JsonRpcProvider(new URL(config.rpc, location.href).toString(), book.chainId, { staticNetwork: true });
    const at = (name: string) => {
      const address = book.contracts?.[name]?.address;
      if (!address) throw new Error(`the address book has no ${name}`);
      this.byAddress.set(address.toLowerCase(), name);
      return new Contract(address, (abis as any)[name], this.provider);
    };
    this.manager = at("SidechainManager");
    this.nodes = at("NodeRegistry");
    this.validators = at("ValidatorRegistry");
    this.images = at("ImageRegistry");
    this.interfaces = Object.fromEntries(CONTRACTS.map((n) => [n, new Interface((abis as any)[n])]));
    this.fromBlock = Number(book.blockNumber ?? 0);
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit() {
    for (const l of this.listeners) l();
  }

  start() {
    const tick = async () => {
      try {
        await this.poll();
        this.error = null;
      } catch (e: any) {
        this.error = `Ethereum endpoint: ${e.shortMessage ?? e.message}`;
        this.emit();
      }
      this.timer = window.setTimeout(tick, 1000);
    };
    tick();
  }

  stop() {
    window.clearTimeout(this.timer);
  }

  /** One step: new blocks' logs into the feed; a reload when the contracts changed (or every 10 blocks, for the clock). */
  async poll() {
    const head = await this.provider.getBlockNumber();
    if (head === this.lastBlock) return;
    let changed = this.lastBlock < 0;
    const from = this.lastBlock < 0 ? this.fromBlock : this.lastBlock + 1;
    const logs = await this.provider.getLogs({ address: [...this.byAddress.keys()], fromBlock: from, toBlock: head });
    const fresh = logs.map((l) => this.describe(l)).filter((a): a is Activity => a !== null);
    if (fresh.length > 0) {
      changed = true;
      this.activity = [...fresh.reverse(), ...this.activity].slice(0, 200);
    }
    if (changed || head - (this.snapshot?.block ?? 0) >= 10) this.snapshot = await this.load(head);
    else if (this.snapshot) this.snapshot = { ...this.snapshot, block: head, time: await this.blockTime(head) };
    this.lastBlock = head;
    this.emit();
  }

  private async blockTime(n: number) {
    return (await this.provider.getBlock(n))?.timestamp ?? Math.floor(Date.now() / 1000);
  }

  describe(log: Log): Activity | null {
    const contract = this.byAddress.get(log.address.toLowerCase());
    if (!contract) return null;
    const parsed = this.interfaces[contract].parseLog(log);
    if (!parsed) return null;
    const args = parsed.fragment.inputs
      .map((input, i) => `${input.name}=${formatArg(parsed.args[i])}`)
      .join(", ");
    return { block: log.blockNumber, tx: log.transactionHash, contract, name: parsed.name, text: args };
  }

  async load(head: number): Promise<Snapshot> {
    const [validatorCount, nodeCount, chainCount, typeNames, time] = await Promise.all([
      this.validators.validatorCount(), this.nodes.nodeCount(), this.manager.chainCount(), this.manager.chainTypeNames(),
      this.blockTime(head),
    ]);
    const range = (n: bigint) => Array.from({ length: Number(n) }, (_, i) => i + 1);
    const validators = await Promise.all(range(validatorCount).map(async (id) => {
      const v = await this.validators.getValidator(id);
      return { id, name: v.name, owner: v.owner, stake: v.stake, activeNodes: Number(v.activeNodes), commissionBps: Number(v.commissionBps) };
    }));
    const nodes = await Promise.all(range(nodeCount).map(async (id) => {
      const n = await this.nodes.getNode(id);
      return {
        id, name: n.name, ip: ipOf(n.ip), basePort: Number(n.basePort), address: n.nodeAddress, validatorId: Number(n.validatorId),
        status: Number(n.status), freeUnits: Number(n.freeUnits), incompliant: n.incompliant, domain: n.domain,
        capacity: { cpuMillicores: Number(n.capacity.cpuMillicores), memoryMiB: Number(n.capacity.memoryMiB), diskGiB: Number(n.capacity.diskGiB) },
      };
    }));
    const chains = await Promise.all(range(chainCount).map(async (id) => {
      const [c, draw] = await Promise.all([this.manager.getChain(id), this.manager.pendingDraw(id)]);
      return {
        id, name: c.name, owner: c.owner, typeName: c.typeName, unitsPerNode: Number(c.unitsPerNode), status: Number(c.status),
        createdAt: Number(c.createdAt), expiresAt: Number(c.expiresAt), lastRotationAt: Number(c.lastRotationAt),
        consensus: c.consensus, imageVersion: c.imageVersion, imageDigest: c.imageDigest, members: c.members.map(Number),
        drawKind: Number(draw.kind),
      };
    }));
    const chainTypes = await Promise.all(typeNames.map(async (name: string) => {
      const t = await this.manager.chainType(name);
      return { name, unitsPerNode: Number(t.unitsPerNode), nodeCount: Number(t.nodeCount), enabled: t.enabled };
    }));
    const published = await this.images.queryFilter(this.images.filters.ImageVersionPublished(), this.fromBlock, head);
    const images = await Promise.all(published.map(async (e: any) => {
      const v = await this.images.getVersion(e.args.version);
      return {
        version: e.args.version, component: v.component, digest: v.digest, sequence: Number(v.sequence),
        publishedAt: Number(v.publishedAt), revoked: v.revoked,
      };
    }));
    let latestImage = "";
    try {
      latestImage = await this.images.latestVersion("subnode");
    } catch {
      // none published (or all revoked): shown as "none"
    }
    return { block: head, time, validators, nodes, images, latestImage, chains, chainTypes };
  }

  /** A chain's members as peers reach them, and its rotations (oldest first). */
  async chainDetail(id: number): Promise<ChainDetail> {
    const [members, rotations, reports] = await Promise.all([
      this.manager.membersOf(id),
      this.manager.rotationsOf(id),
      this.manager.queryFilter(this.manager.filters.NodeReportedDown(id), this.fromBlock),
    ]);
    return {
      members: members.map((m: any) => ({
        nodeId: Number(m.nodeId), address: m.nodeAddress, ip: ipOf(m.ip), slot: Number(m.slot), firstPort: Number(m.firstPort),
      })),
      rotations: rotations.map((r: any) => ({
        leavingNode: Number(r.leavingNode), joiningNode: Number(r.joiningNode), startedAt: Number(r.startedAt),
        finishAt: Number(r.finishAt), reason: Number(r.reason),
      })),
      reports: reports.map((e: any) => ({
        block: e.blockNumber, nodeId: Number(e.args.nodeId), reporter: Number(e.args.reporter),
        reports: Number(e.args.reports), quorum: Number(e.args.quorum),
      })),
    };
  }
}

function formatArg(v: any): string {
  if (typeof v === "bigint") return v.toString();
  if (Array.isArray(v)) return `[${v.map(formatArg).join(" ")}]`;
  if (typeof v === "string" && v.length > 20 && v.startsWith("0x")) return `${v.slice(0, 10)}…`;
  return String(v);
}

/** A member's view of its chain: flotilla_health when it answers it, else its latest block. */
export type MemberHealth = { head: number; finalizing: boolean | null; peers?: number; error?: string };

/** The dashboard server's pass-through to a member's JSON-RPC (read-only methods). */
export const memberEndpoint = (ip: string, rpcPort: number) => new URL(`/member/${ip}/${rpcPort}`, location.href).toString();

export async function memberHealth(endpoint: string): Promise<MemberHealth> {
  const call = async (method: string) => {
    const res = await fetch(endpoint, {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params: [] }), signal: AbortSignal.timeout(6000),
    });
    return res.json();
  };
  try {
    const health = await call("flotilla_health");
    if (health.result) return { head: Number(health.result.head), finalizing: Boolean(health.result.finalizing), peers: health.result.peersConnected };
    if (health.error?.code === -32000) return { head: -1, finalizing: false, error: "unreachable" };
    const block = await call("eth_blockNumber");
    if (block.result) return { head: Number(block.result), finalizing: null };
    return { head: -1, finalizing: false, error: block.error?.message ?? "no answer" };
  } catch (e: any) {
    return { head: -1, finalizing: false, error: e.name === "TimeoutError" ? "no answer within 6 s" : e.message };
  }
}

export type AgentHealth = { reachable: boolean; health?: string; problems?: string[]; error?: string };

export async function agentHealth(ip: string): Promise<AgentHealth> {
  try {
    const res = await (await fetch(new URL(`/agent/${ip}`, location.href), { signal: AbortSignal.timeout(4000) })).json();
    if (!res.reachable) return { reachable: false, error: res.error };
    return { reachable: true, health: res.status?.health ?? `HTTP ${res.httpStatus}`, problems: res.status?.problems ?? [] };
  } catch (e: any) {
    return { reachable: false, error: e.message };
  }
}
