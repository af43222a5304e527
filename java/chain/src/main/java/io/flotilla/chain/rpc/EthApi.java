package io.flotilla.chain.rpc;

import static io.flotilla.chain.rpc.Json.address;
import static io.flotilla.chain.rpc.Json.data;
import static io.flotilla.chain.rpc.Json.param;
import static io.flotilla.chain.rpc.Json.quantity;
import static io.flotilla.chain.rpc.Json.required;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.chain.execution.CallOutcome;
import io.flotilla.chain.execution.CallRequest;
import io.flotilla.chain.execution.ChainState;
import io.flotilla.chain.execution.SubmissionException;
import io.flotilla.chain.execution.TraceConfig;
import io.flotilla.chain.execution.TraceRequest;
import io.flotilla.chain.execution.Tracing;
import io.flotilla.evm.trace.StructLogger;
import io.flotilla.chain.execution.TxSubmission;
import io.flotilla.chain.mempool.Mempool;
import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.TxLocation;
import io.flotilla.chain.storage.TxReceipt;
import io.flotilla.chain.tx.SignedTransaction;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.state.Log;
import io.flotilla.evm.tx.AccessListEntry;
import io.flotilla.evm.tx.TxRejection;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The eth_/net_/web3_ methods over a {@link ChainState}, a {@link Mempool} and a {@link TxSubmission}.
 * State queries (balance, nonce, code, storage, eth_call, eth_estimateGas, eth_getProof) are answered at the head or at any block of
 * the recent history the chain keeps ({@link ChainState#HISTORY_BLOCKS}); older blocks are refused, never answered
 * wrongly. "latest", "pending", "safe" and "finalized" all mean the head (BFT blocks are final when committed).
 */
public final class EthApi {
    /** Keccak of the RLP of an empty list: the uncles hash of a block without uncles. */
    private static final String EMPTY_UNCLES = data(Keccak.hash(new byte[] {(byte) 0xC0}));
    private static final String ZERO_HASH = data(new byte[32]);
    private static final long MAX_LOG_RANGE = 10_000;
    private static final int MAX_LOGS = 10_000;
    /** One block may log megabytes (8 gas a byte): answers are bounded in bytes too, not only in logs. */
    private static final long MAX_LOG_DATA_BYTES = 8L << 20;
    private static final int MAX_FEE_HISTORY = 1024;
    private static final int MAX_FILTERS = 1024;

    private final ChainState chain;
    private final Mempool mempool;
    private final TxSubmission submission;
    private final String clientVersion;
    private final Filters filters;
    private final Tracing tracing;
    private final Map<String, RpcMethod> extra;

    public EthApi(ChainState chain, Mempool mempool, TxSubmission submission, String clientVersion) {
        this(chain, mempool, submission, clientVersion, new Tracing(chain, TraceConfig.DEFAULT));
    }

    /** As above, sharing {@code tracing} (its concurrency limit) with the node's other endpoints. */
    public EthApi(ChainState chain, Mempool mempool, TxSubmission submission, String clientVersion, Tracing tracing) {
        this(chain, mempool, submission, clientVersion, tracing, Map.of());
    }

    /** @param extra methods the node adds to the table (e.g. flotilla_health, which needs the consensus replica) */
    public EthApi(ChainState chain, Mempool mempool, TxSubmission submission, String clientVersion, Tracing tracing,
            Map<String, RpcMethod> extra) {
        this.tracing = tracing;
        this.extra = Map.copyOf(extra);
        this.chain = chain;
        this.mempool = mempool;
        this.submission = submission;
        this.clientVersion = clientVersion;
        this.filters = new Filters(() -> chain.head().number(), System::nanoTime, MAX_FILTERS);
    }

    /** The method table to hand to {@link JsonRpcServer}. */
    public Map<String, RpcMethod> methods() {
        Map<String, RpcMethod> m = new HashMap<>();
        m.put("web3_clientVersion", p -> clientVersion);
        m.put("web3_sha3", p -> data(Keccak.hash(Json.parseData(required(p, 0, "data"), "data"))));
        m.put("net_version", p -> Long.toString(chain.config().chainId()));
        m.put("net_listening", p -> true);
        m.put("net_peerCount", p -> "0x0");
        m.put("eth_chainId", p -> quantity(chain.config().chainId()));
        // Equivocation evidence this member kept (the last 1,000 pieces), for the manager contracts to slash on.
        m.put("flotilla_equivocations", p -> io.flotilla.chain.node.EvidenceLog.json(chain));
        m.put("eth_syncing", p -> false);
        m.put("eth_mining", p -> false);
        m.put("eth_accounts", p -> List.of());
        m.put("eth_blockNumber", p -> quantity(chain.head().number()));
        m.put("eth_gasPrice", p -> quantity(chain.config().baseFee()));
        m.put("eth_maxPriorityFeePerGas", p -> "0x0");
        m.put("eth_feeHistory", this::feeHistory);
        m.put("eth_getBlockByNumber", p -> blockJson(blockNumber(required(p, 0, "block")), fullTxs(p)));
        m.put("eth_getBlockByHash", p -> blockJson(numberOfHash(required(p, 0, "hash")), fullTxs(p)));
        m.put("eth_getBlockTransactionCountByNumber", p -> txCount(blockNumber(required(p, 0, "block"))));
        m.put("eth_getBlockTransactionCountByHash", p -> txCount(numberOfHash(required(p, 0, "hash"))));
        m.put("eth_getBalance", p -> {
            Address a = Json.parseAddress(required(p, 0, "address"), "address");
            return pruned(() -> quantity(orEmpty(stateAt(param(p, 1)).account(a)).balance().toBigInteger()));
        });
        m.put("eth_getTransactionCount", this::transactionCount);
        m.put("eth_getCode", p -> {
            Address a = Json.parseAddress(required(p, 0, "address"), "address");
            return pruned(() -> data(orEmpty(stateAt(param(p, 1)).account(a)).code()));
        });
        m.put("eth_getStorageAt", p -> {
            Address a = Json.parseAddress(required(p, 0, "address"), "address");
            Word key = Json.parseSlot(required(p, 1, "slot"));
            return pruned(() -> data(stateAt(param(p, 2)).storage(a, key).toBytes()));
        });
        m.put("eth_call", p -> {
            CallRequest req = callRequest(required(p, 0, "transaction"));
            long n = blockNumber(param(p, 1));
            if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
            CallOutcome out = n == chain.head().number() ? chain.call(req) : (CallOutcome) pruned(() -> chain.call(req, n).orElseThrow(this::notKept));
            if (out instanceof CallOutcome.Success s) return data(s.output());
            throw callError(out);
        });
        m.put("eth_getProof", this::proof);
        m.put("eth_estimateGas", p -> {
            CallRequest req = callRequest(required(p, 0, "transaction"));
            long n = blockNumber(param(p, 1));
            if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
            ChainState.GasEstimate est = n == chain.head().number() ? chain.estimateGas(req)
                    : (ChainState.GasEstimate) pruned(() -> chain.estimateGas(req, n).orElseThrow(this::notKept));
            if (est.gas() < 0) throw callError(est.outcome());
            return quantity(est.gas());
        });
        m.put("eth_sendRawTransaction", p -> {
            byte[] raw = Json.parseData(required(p, 0, "data"), "data");
            try {
                return submission.submit(raw).hashHex();
            } catch (SubmissionException e) {
                throw new RpcException(RpcException.SERVER_ERROR, e.getMessage());
            }
        });
        m.put("eth_getTransactionByHash", p -> transactionByHash(Json.parseHash(required(p, 0, "hash"), "hash")));
        m.put("eth_getTransactionByBlockNumberAndIndex", p -> txByBlockAndIndex(blockNumber(required(p, 0, "block")), required(p, 1, "index")));
        m.put("eth_getTransactionByBlockHashAndIndex", p -> txByBlockAndIndex(numberOfHash(required(p, 0, "hash")), required(p, 1, "index")));
        m.put("eth_getBlockReceipts", p -> blockReceipts(blockNumber(required(p, 0, "block"))));
        m.put("eth_getTransactionReceipt", p -> receiptByHash(Json.parseHash(required(p, 0, "hash"), "hash")));
        m.put("eth_getLogs", p -> logs(required(p, 0, "filter")));
        m.put("eth_newFilter", p -> newFilter(required(p, 0, "filter")));
        m.put("eth_newBlockFilter", p -> filters.newBlockFilter());
        m.put("eth_getFilterChanges", p -> filters.changes(required(p, 0, "filter id"), this::logsInRange,
                n -> chain.header(n).map(h -> data(h.hash())).orElse(null)));
        m.put("eth_getFilterLogs", p -> logs(filters.criteria(required(p, 0, "filter id"))));
        m.put("eth_uninstallFilter", p -> filters.uninstall(required(p, 0, "filter id")));
        // A chain without uncles: counts of zero for known blocks, no uncle ever.
        m.put("eth_getUncleCountByBlockNumber", p -> txCount(blockNumber(required(p, 0, "block"))) == null ? null : "0x0");
        m.put("eth_getUncleCountByBlockHash", p -> txCount(numberOfHash(required(p, 0, "hash"))) == null ? null : "0x0");
        m.put("eth_getUncleByBlockNumberAndIndex", p -> {
            blockNumber(required(p, 0, "block"));
            Json.parseLong(required(p, 1, "index"), "index");
            return null;
        });
        m.put("eth_getUncleByBlockHashAndIndex", p -> {
            Json.parseHash(required(p, 0, "hash"), "hash");
            Json.parseLong(required(p, 1, "index"), "index");
            return null;
        });
        m.put("txpool_status", p -> txpoolStatus());
        m.put("txpool_content", p -> txpool(false));
        m.put("txpool_inspect", p -> txpool(true));
        m.put("eth_createAccessList", this::createAccessList);
        m.put("debug_traceTransaction", p -> {
            byte[] hash = Json.parseHash(required(p, 0, "hash"), "hash");
            TraceRequest req = traceRequest(param(p, 1));
            TxLocation loc = chain.txLocation(hash).orElseThrow(() -> new RpcException(RpcException.SERVER_ERROR, "transaction " + data(hash) + " not found"));
            return traced(() -> tracing.traceTransaction(loc.blockNumber(), loc.index(), req));
        });
        m.put("debug_traceCall", p -> {
            CallRequest call = callRequest(required(p, 0, "transaction"));
            long n = blockNumber(param(p, 1));
            if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
            TraceRequest req = traceRequest(param(p, 2));
            return traced(() -> tracing.traceCall(call, n, req));
        });
        m.put("debug_traceBlockByNumber", p -> traceBlock(blockNumber(required(p, 0, "block")), param(p, 1)));
        m.put("debug_traceBlockByHash", p -> traceBlock(numberOfHash(required(p, 0, "hash")), param(p, 1)));
        m.putAll(extra);
        return m;
    }

    // ---- tracing ----

    private interface TraceWork {
        Object run() throws Tracing.TraceException;
    }

    private static Object traced(TraceWork work) throws RpcException {
        try {
            return work.run();
        } catch (Tracing.TraceException e) {
            throw new RpcException(RpcException.SERVER_ERROR, e.getMessage());
        }
    }

    private Object traceBlock(long number, JsonNode options) throws RpcException {
        if (number < 0) throw new RpcException(RpcException.SERVER_ERROR, "block not found");
        TraceRequest req = traceRequest(options);
        return traced(() -> tracing.traceBlock(number, req));
    }

    /** geth's trace options object: tracer, tracerConfig, the struct logger's switches, timeout. */
    static TraceRequest traceRequest(JsonNode o) throws RpcException {
        if (o == null || o.isNull()) return new TraceRequest(null, StructLogger.Options.DEFAULT, false, false, false, null);
        if (!o.isObject()) throw RpcException.invalidParams("trace options: expected an object");
        String tracer = null;
        if (o.hasNonNull("tracer")) {
            tracer = o.get("tracer").asText();
            if (!TraceRequest.TRACERS.contains(tracer)) {
                throw RpcException.invalidParams("tracer " + (tracer.length() > 40 ? tracer.substring(0, 40) + "..." : tracer)
                        + " is not supported (supported: the default struct logger, callTracer, prestateTracer, 4byteTracer; no JavaScript tracers)");
            }
        }
        JsonNode cfg = o.path("tracerConfig");
        long limit = o.hasNonNull("limit") ? Json.parseLong(o.get("limit"), "limit") : 0;
        StructLogger.Options struct = new StructLogger.Options(!o.path("disableStack").asBoolean(false),
                !o.path("disableStorage").asBoolean(false), o.path("enableMemory").asBoolean(false),
                o.path("enableReturnData").asBoolean(false), limit);
        java.time.Duration timeout = o.hasNonNull("timeout") ? goDuration(o.get("timeout").asText()) : null;
        return new TraceRequest(tracer, struct, cfg.path("onlyTopCall").asBoolean(false), cfg.path("withLog").asBoolean(false),
                cfg.path("diffMode").asBoolean(false), timeout);
    }

    /** A Go duration as geth takes it ("5s", "500ms", "1m30s"). */
    static java.time.Duration goDuration(String s) throws RpcException {
        if (s.length() > 32) throw RpcException.invalidParams("timeout: invalid duration (more than 32 characters)");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|us|µs|ns|s|m|h)").matcher(s);
        int at = 0;
        double nanos = 0;
        while (m.find() && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            nanos += v * switch (m.group(2)) {
                case "h" -> 3.6e12;
                case "m" -> 6e10;
                case "s" -> 1e9;
                case "ms" -> 1e6;
                case "us", "µs" -> 1e3;
                default -> 1;
            };
            at = m.end();
        }
        if (at == 0 || at != s.length() || nanos > 3.6e12) throw RpcException.invalidParams("timeout: invalid duration " + s);
        return java.time.Duration.ofNanos((long) nanos);
    }

    private Object createAccessList(JsonNode p) throws RpcException {
        CallRequest call = callRequest(required(p, 0, "transaction"));
        long n = blockNumber(param(p, 1));
        if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
        Tracing.AccessListResult r = (Tracing.AccessListResult) traced(() -> tracing.createAccessList(call, n));
        Map<String, Object> j = new LinkedHashMap<>();
        List<Object> list = new ArrayList<>();
        for (AccessListEntry e : r.accessList()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("address", address(e.address()));
            entry.put("storageKeys", e.storageKeys().stream().map(k -> data(k.toBytes())).toList());
            list.add(entry);
        }
        j.put("accessList", list);
        if (r.error() != null) j.put("error", r.error());
        j.put("gasUsed", quantity(r.gasUsed()));
        return j;
    }

    // ---- txpool ----

    private Object txpoolStatus() {
        Map<Address, List<SignedTransaction>> all = mempool.all();
        Map<Address, List<SignedTransaction>> ready = mempool.ready(a -> chain.account(a).nonce());
        long pending = ready.values().stream().mapToLong(List::size).sum();
        long total = all.values().stream().mapToLong(List::size).sum();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("pending", quantity(pending));
        j.put("queued", quantity(total - pending));
        return j;
    }

    /** txpool_content (transactions as eth_getTransactionByHash shows them) or txpool_inspect (one summary line each). */
    private Object txpool(boolean inspect) {
        Map<Address, List<SignedTransaction>> all = mempool.all();
        Map<Address, List<SignedTransaction>> ready = mempool.ready(a -> chain.account(a).nonce());
        Map<String, Object> pending = new java.util.TreeMap<>();
        Map<String, Object> queued = new java.util.TreeMap<>();
        for (Map.Entry<Address, List<SignedTransaction>> e : all.entrySet()) {
            java.util.Set<SignedTransaction> isReady = new java.util.HashSet<>(ready.getOrDefault(e.getKey(), List.of()));
            Map<String, Object> p = new java.util.TreeMap<>();
            Map<String, Object> q = new java.util.TreeMap<>();
            for (SignedTransaction tx : e.getValue()) {
                Object v = inspect
                        ? (tx.to() == null ? "contract creation" : address(tx.to())) + ": " + tx.value() + " wei + " + tx.gasLimit() + " gas × "
                        + tx.feeCap() + " wei"
                        : txJson(tx, null, 0);
                (isReady.contains(tx) ? p : q).put(Long.toString(tx.nonce()), v);
            }
            if (!p.isEmpty()) pending.put(address(e.getKey()), p);
            if (!q.isEmpty()) queued.put(address(e.getKey()), q);
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("pending", pending);
        j.put("queued", queued);
        return j;
    }

    // ---- block parameters ----

    /** Resolves a block tag or number; -1 when the number is beyond the head. */
    private long blockNumber(JsonNode n) throws RpcException {
        long head = chain.head().number();
        if (n == null || n.isNull()) return head;
        if (n.isObject()) {
            if (n.has("blockHash")) return numberOfHash(n.get("blockHash"));
            if (n.has("blockNumber")) return blockNumber(n.get("blockNumber"));
            throw RpcException.invalidParams("block: expected blockNumber or blockHash");
        }
        if (n.isTextual()) {
            switch (n.asText()) {
                case "latest", "pending", "safe", "finalized" -> {
                    return head;
                }
                case "earliest" -> {
                    return 0;
                }
                default -> {
                }
            }
        }
        long number = Json.parseLong(n, "block");
        return number > head ? -1 : number;
    }

    private long numberOfHash(JsonNode n) throws RpcException {
        byte[] hash = Json.parseHash(n, "block hash");
        var num = chain.header(hash).map(BlockHeader::number);
        return num.orElse(-1L);
    }

    /** The error for a block whose state this node no longer keeps. */
    private RpcException notKept() {
        return new RpcException(RpcException.SERVER_ERROR,
                "historical state not available: this node keeps the state of its last " + chain.historyBlocks()
                        + " blocks (oldest: " + (chain.oldestTraceable() - 1) + ")");
    }

    /** At most this many storage keys in one eth_getProof (each costs a trie walk and up to ~4 KiB of answer). */
    static final int MAX_PROOF_KEYS = 1024;

    /** eth_getProof (EIP-1186): account and storage proofs against the state root of the given block. */
    private Object proof(JsonNode p) throws RpcException {
        Address a = Json.parseAddress(required(p, 0, "address"), "address");
        JsonNode keysNode = required(p, 1, "storageKeys");
        if (!keysNode.isArray()) throw RpcException.invalidParams("storageKeys: expected an array");
        if (keysNode.size() > MAX_PROOF_KEYS) {
            throw RpcException.invalidParams("storageKeys: " + keysNode.size() + " keys exceed the limit of " + MAX_PROOF_KEYS);
        }
        List<Word> keys = new ArrayList<>();
        List<String> keyText = new ArrayList<>();
        for (JsonNode k : keysNode) {
            keys.add(Json.parseSlot(k));
            keyText.add(k.asText());
        }
        long n = blockNumber(param(p, 2));
        if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
        ChainState.AccountProof proof;
        try {
            proof = (ChainState.AccountProof) pruned(() -> chain.proof(n, a, keys).orElseThrow(this::notKept));
        } catch (ChainState.ProofBusy e) {
            throw new RpcException(RpcException.SERVER_ERROR, e.getMessage());
        }
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("address", address(a));
        j.put("accountProof", proof.accountProof().stream().map(Json::data).toList());
        j.put("balance", quantity(proof.balance().toBigInteger()));
        j.put("codeHash", data(proof.codeHash()));
        j.put("nonce", quantity(proof.nonce()));
        j.put("storageHash", data(proof.storageHash()));
        List<Object> slots = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            ChainState.SlotProof sp = proof.storage().get(i);
            Map<String, Object> sj = new LinkedHashMap<>();
            sj.put("key", keyText.get(i));
            sj.put("value", quantity(sp.value().toBigInteger()));
            sj.put("proof", sp.proof().stream().map(Json::data).toList());
            slots.add(sj);
        }
        j.put("storageProof", slots);
        return j;
    }

    /**
     * The state after the given block for balance, nonce, code and storage reads: the head, or one of the recent
     * blocks whose state the chain can rebuild (the tracing window); older blocks are refused, never answered wrongly.
     */
    private io.flotilla.evm.state.WorldState stateAt(JsonNode block) throws RpcException {
        long n = blockNumber(block);
        if (n < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
        return chain.stateAt(n).orElseThrow(this::notKept);
    }

    /** Runs a state read; a block that left the window while it was read gets the same error as one outside it. */
    private static Object pruned(StateRead read) throws RpcException {
        try {
            return read.get();
        } catch (ChainState.StatePruned e) {
            throw new RpcException(RpcException.SERVER_ERROR, "historical state not available: " + e.getMessage());
        }
    }

    private interface StateRead {
        Object get() throws RpcException;
    }

    private static io.flotilla.evm.state.Account orEmpty(io.flotilla.evm.state.Account a) {
        return a == null ? io.flotilla.evm.state.Account.EMPTY : a;
    }

    private static boolean fullTxs(JsonNode p) {
        JsonNode f = param(p, 1);
        return f != null && f.asBoolean(false);
    }

    private Object txCount(long number) {
        if (number < 0) return null;
        return chain.block(number).map(b -> quantity(b.transactions().size())).orElse(null);
    }

    private Object transactionCount(JsonNode p) throws RpcException {
        Address a = Json.parseAddress(required(p, 0, "address"), "address");
        JsonNode tag = param(p, 1);
        if (tag != null && tag.isTextual() && tag.asText().equals("pending")) {
            return quantity(mempool.pendingNonce(a, chain.account(a).nonce()));
        }
        return pruned(() -> quantity(orEmpty(stateAt(tag).account(a)).nonce()));
    }

    // ---- blocks and transactions ----

    private Object blockJson(long number, boolean full) {
        if (number < 0) return null;
        Optional<Block> block = chain.block(number);
        return block.isEmpty() ? null : blockJson(block.get(), full);
    }

    /** A "newHeads" notification's result: the block as eth_getBlockByNumber shows it, without the body fields. */
    Map<String, Object> headerJson(Block b) {
        Map<String, Object> j = blockJson(b, false);
        j.remove("transactions");
        j.remove("uncles");
        return j;
    }

    /** One log of a committed block with its eth_getLogs object (removed: false). */
    record BlockLog(Log log, Map<String, Object> json) {
    }

    /** Every log of a committed block, in block order, each with its eth_getLogs object. */
    static List<BlockLog> blockLogs(Block block, List<TxReceipt> receipts) {
        List<BlockLog> out = new ArrayList<>();
        int logIndex = 0;
        for (int i = 0; i < receipts.size(); i++) {
            for (Log log : receipts.get(i).logs()) {
                out.add(new BlockLog(log, logJson(log, block.header(), block.transactions().get(i), i, logIndex++)));
            }
        }
        return out;
    }

    private Map<String, Object> blockJson(Block b, boolean full) {
        BlockHeader h = b.header();
        String hash = data(h.hash());
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("number", quantity(h.number()));
        j.put("hash", hash);
        j.put("parentHash", data(h.parentHash()));
        j.put("nonce", "0x0000000000000000");
        j.put("mixHash", ZERO_HASH);
        j.put("sha3Uncles", EMPTY_UNCLES);
        j.put("logsBloom", data(h.logsBloom()));
        j.put("transactionsRoot", data(h.transactionsRoot()));
        j.put("stateRoot", data(h.stateRoot()));
        j.put("receiptsRoot", data(h.receiptsRoot()));
        j.put("miner", address(h.proposer()));
        j.put("difficulty", "0x0");
        j.put("totalDifficulty", "0x0");
        j.put("extraData", data(h.extraData()));
        j.put("size", quantity(h.encode().length + b.transactions().stream().mapToLong(t -> t.raw().length).sum()));
        j.put("gasLimit", quantity(h.gasLimit()));
        j.put("gasUsed", quantity(h.gasUsed()));
        j.put("timestamp", quantity(h.timestamp()));
        j.put("baseFeePerGas", quantity(h.baseFeePerGas()));
        List<Object> txs = new ArrayList<>();
        for (int i = 0; i < b.transactions().size(); i++) {
            SignedTransaction tx = b.transactions().get(i);
            txs.add(full ? txJson(tx, h, i) : tx.hashHex());
        }
        j.put("transactions", txs);
        j.put("uncles", List.of());
        return j;
    }

    private Map<String, Object> txJson(SignedTransaction tx, BlockHeader h, int index) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("hash", tx.hashHex());
        j.put("type", quantity(tx.type()));
        j.put("nonce", quantity(tx.nonce()));
        j.put("blockHash", h == null ? null : data(h.hash()));
        j.put("blockNumber", h == null ? null : quantity(h.number()));
        j.put("transactionIndex", h == null ? null : quantity(index));
        j.put("from", address(tx.sender()));
        j.put("to", address(tx.to()));
        j.put("value", quantity(tx.value()));
        j.put("gas", quantity(tx.gasLimit()));
        // For a mined EIP-1559 transaction gasPrice is what it paid; pending ones show their cap, as geth does.
        j.put("gasPrice", quantity(h == null ? tx.feeCap() : tx.effectiveGasPrice(h.baseFeePerGas())));
        if (tx.type() == 2) {
            j.put("maxFeePerGas", quantity(tx.maxFeePerGas()));
            j.put("maxPriorityFeePerGas", quantity(tx.maxPriorityFeePerGas()));
        }
        j.put("input", data(tx.data()));
        if (tx.chainId() != null) j.put("chainId", quantity(tx.chainId()));
        if (tx.type() != 0) {
            List<Object> al = new ArrayList<>();
            for (AccessListEntry e : tx.accessList()) {
                al.add(Map.of("address", address(e.address()), "storageKeys", e.storageKeys().stream().map(k -> data(k.toBytes())).toList()));
            }
            j.put("accessList", al);
            j.put("yParity", quantity(tx.v()));
        }
        j.put("v", quantity(tx.v()));
        j.put("r", quantity(tx.r()));
        j.put("s", quantity(tx.s()));
        return j;
    }

    private Object transactionByHash(byte[] hash) {
        Optional<TxLocation> loc = chain.txLocation(hash);
        if (loc.isPresent()) {
            Optional<Block> b = chain.block(loc.get().blockNumber());
            if (b.isPresent()) return txJson(b.get().transactions().get(loc.get().index()), b.get().header(), loc.get().index());
        }
        return mempool.get(data(hash)).map(tx -> (Object) txJson(tx, null, 0)).orElse(null);
    }

    private Object txByBlockAndIndex(long number, JsonNode indexParam) throws RpcException {
        long index = Json.parseLong(indexParam, "index");
        if (number < 0) return null;
        Optional<Block> b = chain.block(number);
        if (b.isEmpty() || index >= b.get().transactions().size()) return null;
        return txJson(b.get().transactions().get((int) index), b.get().header(), (int) index);
    }

    private Object blockReceipts(long number) {
        if (number < 0) return null;
        Optional<Block> block = chain.block(number);
        if (block.isEmpty()) return null;
        List<TxReceipt> receipts = chain.receipts(number);
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < receipts.size(); i++) out.add(receiptJson(block.get(), receipts, i));
        return out;
    }

    private Object receiptByHash(byte[] hash) {
        Optional<TxLocation> loc = chain.txLocation(hash);
        if (loc.isEmpty()) return null;
        Optional<Block> block = chain.block(loc.get().blockNumber());
        if (block.isEmpty()) return null;
        return receiptJson(block.get(), chain.receipts(loc.get().blockNumber()), loc.get().index());
    }

    private static Map<String, Object> receiptJson(Block block, List<TxReceipt> receipts, int index) {
        long number = block.number();
        int firstLog = 0;
        for (int i = 0; i < index; i++) firstLog += receipts.get(i).logs().size();
        TxReceipt r = receipts.get(index);
        SignedTransaction tx = block.transactions().get(index);
        BlockHeader h = block.header();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("transactionHash", tx.hashHex());
        j.put("transactionIndex", quantity(index));
        j.put("blockHash", data(h.hash()));
        j.put("blockNumber", quantity(number));
        j.put("from", address(tx.sender()));
        j.put("to", address(tx.to()));
        j.put("cumulativeGasUsed", quantity(r.cumulativeGasUsed()));
        j.put("gasUsed", quantity(r.gasUsed()));
        j.put("effectiveGasPrice", quantity(r.effectiveGasPrice()));
        j.put("contractAddress", address(r.contractAddress()));
        j.put("logs", logsJson(r.logs(), h, tx, index, firstLog));
        j.put("logsBloom", data(r.bloom()));
        j.put("status", r.success() ? "0x1" : "0x0");
        j.put("type", quantity(r.type()));
        return j;
    }

    private static List<Object> logsJson(List<Log> logs, BlockHeader h, SignedTransaction tx, int txIndex, int firstLog) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < logs.size(); i++) out.add(logJson(logs.get(i), h, tx, txIndex, firstLog + i));
        return out;
    }

    private static Map<String, Object> logJson(Log log, BlockHeader h, SignedTransaction tx, int txIndex, int logIndex) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("address", address(log.address()));
        j.put("topics", log.topics().stream().map(t -> data(t.toBytes())).toList());
        j.put("data", data(log.data()));
        j.put("blockNumber", quantity(h.number()));
        j.put("blockHash", data(h.hash()));
        j.put("transactionHash", tx.hashHex());
        j.put("transactionIndex", quantity(txIndex));
        j.put("logIndex", quantity(logIndex));
        j.put("removed", false);
        return j;
    }

    // ---- logs ----

    private Object logs(JsonNode filter) throws RpcException {
        if (!filter.isObject()) throw RpcException.invalidParams("filter: expected an object");
        long from;
        long to;
        if (filter.hasNonNull("blockHash")) {
            if (filter.hasNonNull("fromBlock") || filter.hasNonNull("toBlock")) throw RpcException.invalidParams("blockHash excludes fromBlock/toBlock");
            from = to = numberOfHash(filter.get("blockHash"));
            if (from < 0) throw new RpcException(RpcException.SERVER_ERROR, "unknown block");
        } else {
            from = filter.hasNonNull("fromBlock") ? blockNumber(filter.get("fromBlock")) : chain.head().number();
            to = filter.hasNonNull("toBlock") ? blockNumber(filter.get("toBlock")) : chain.head().number();
            if (to < 0) to = chain.head().number();
            if (from < 0) return List.of();
            if (from > to) throw RpcException.invalidParams("fromBlock is after toBlock");
            if (to - from >= MAX_LOG_RANGE) throw new RpcException(RpcException.SERVER_ERROR, "block range too large (max " + MAX_LOG_RANGE + ")");
        }
        return logsInRange(from, to, LogFilter.parse(filter));
    }

    /** Logs of blocks {@code from..to} (within the chain) that pass {@code f}, in block order. */
    private List<Object> logsInRange(long from, long to, LogFilter f) throws RpcException {
        List<Object> out = new ArrayList<>();
        long dataBytes = 0;
        for (long n = from; n <= to; n++) {
            Optional<BlockHeader> h = chain.header(n);
            if (h.isEmpty() || !f.bloomMayMatch(h.get().logsBloom())) continue;
            Block block = chain.block(n).orElseThrow();
            List<TxReceipt> receipts = chain.receipts(n);
            int logIndex = 0;
            for (int i = 0; i < receipts.size(); i++) {
                for (Log log : receipts.get(i).logs()) {
                    if (f.matches(log)) {
                        out.add(logJson(log, h.get(), block.transactions().get(i), i, logIndex));
                        if (out.size() > MAX_LOGS) throw new RpcException(RpcException.SERVER_ERROR, "query returned more than " + MAX_LOGS + " results");
                        dataBytes += log.data().length + 32L * log.topics().size();
                        if (dataBytes > MAX_LOG_DATA_BYTES) {
                            throw new RpcException(RpcException.SERVER_ERROR, "query returned more than " + (MAX_LOG_DATA_BYTES >> 20)
                                    + " MiB of log data; narrow the block range");
                        }
                    }
                    logIndex++;
                }
            }
        }
        return out;
    }

    /** eth_newFilter: the criteria of eth_getLogs; a numeric toBlock (even a future one) ends what the filter reports. */
    private Object newFilter(JsonNode filter) throws RpcException {
        if (!filter.isObject()) throw RpcException.invalidParams("filter: expected an object");
        long toBlock = Long.MAX_VALUE;
        JsonNode to = filter.get("toBlock");
        if (to != null && !to.isNull()) {
            switch (to.asText()) {
                case "latest", "pending", "safe", "finalized" -> {
                    // open-ended: every new block
                }
                case "earliest" -> toBlock = 0;
                default -> toBlock = Json.parseLong(to, "toBlock"); // may lie in the future
            }
        }
        return filters.newLogFilter(filter, toBlock);
    }

    // ---- fees ----

    private Object feeHistory(JsonNode p) throws RpcException {
        long count = Json.parseLong(required(p, 0, "blockCount"), "blockCount");
        long newest = blockNumber(required(p, 1, "newestBlock"));
        if (newest < 0) throw new RpcException(RpcException.SERVER_ERROR, "header not found");
        count = Math.min(Math.min(count, MAX_FEE_HISTORY), newest + 1);
        JsonNode pct = param(p, 2);
        long oldest = newest - count + 1;
        // A member that joined by snapshot has no headers below the 256 under its snapshot: report what it has.
        while (oldest < newest && chain.header(oldest).isEmpty()) oldest++;
        List<String> baseFees = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        List<List<String>> rewards = new ArrayList<>();
        for (long n = oldest; n <= newest; n++) {
            BlockHeader h = chain.header(n).orElseThrow();
            baseFees.add(quantity(h.baseFeePerGas()));
            ratios.add(h.gasLimit() == 0 ? 0.0 : (double) h.gasUsed() / h.gasLimit());
            if (pct != null && pct.isArray()) rewards.add(rewardPercentiles(n, h, pct));
        }
        baseFees.add(quantity(chain.config().baseFee())); // the next block's base fee: constant by design
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("oldestBlock", quantity(oldest));
        j.put("baseFeePerGas", baseFees);
        j.put("gasUsedRatio", ratios);
        if (pct != null && pct.isArray()) j.put("reward", rewards);
        return j;
    }

    /** Effective tips at the requested gas-weighted percentiles, as geth computes them. */
    private List<String> rewardPercentiles(long number, BlockHeader h, JsonNode pct) {
        Block b = chain.block(number).orElseThrow();
        List<TxReceipt> receipts = chain.receipts(number);
        record Tip(BigInteger tip, long gas) {
        }
        List<Tip> tips = new ArrayList<>();
        for (int i = 0; i < receipts.size(); i++) {
            BigInteger tip = receipts.get(i).effectiveGasPrice().subtract(h.baseFeePerGas()).max(BigInteger.ZERO);
            tips.add(new Tip(tip, receipts.get(i).gasUsed()));
        }
        tips.sort((x, y) -> x.tip().compareTo(y.tip()));
        List<String> out = new ArrayList<>();
        for (JsonNode q : pct) {
            if (tips.isEmpty()) {
                out.add("0x0");
                continue;
            }
            double threshold = h.gasUsed() * q.asDouble() / 100.0;
            long sum = 0;
            BigInteger chosen = tips.get(tips.size() - 1).tip();
            for (Tip t : tips) {
                sum += t.gas();
                if (sum >= threshold) {
                    chosen = t.tip();
                    break;
                }
            }
            out.add(quantity(chosen));
        }
        return out;
    }

    // ---- calls ----

    private static CallRequest callRequest(JsonNode o) throws RpcException {
        if (!o.isObject()) throw RpcException.invalidParams("transaction: expected an object");
        Address from = o.hasNonNull("from") ? Json.parseAddress(o.get("from"), "from") : null;
        Address to = o.hasNonNull("to") ? Json.parseAddress(o.get("to"), "to") : null;
        Long gas = o.hasNonNull("gas") ? Json.parseLong(o.get("gas"), "gas") : null;
        BigInteger price = o.hasNonNull("gasPrice") ? Json.parseQuantity(o.get("gasPrice"), "gasPrice") : null;
        BigInteger value = o.hasNonNull("value") ? Json.parseQuantity(o.get("value"), "value") : null;
        JsonNode input = o.hasNonNull("input") ? o.get("input") : o.get("data");
        byte[] data = input == null || input.isNull() ? null : Json.parseData(input, "input");
        return new CallRequest(from, to, gas, price, value, data);
    }

    private RpcException callError(CallOutcome out) {
        return switch (out) {
            case CallOutcome.Reverted r -> new RpcException(RpcException.EXECUTION_REVERTED, revertMessage(r.data()), data(r.data()));
            case CallOutcome.Halted h -> new RpcException(RpcException.SERVER_ERROR, haltMessage(h));
            case CallOutcome.Invalid i -> new RpcException(RpcException.SERVER_ERROR, invalidMessage(i));
            case CallOutcome.TimedOut t -> new RpcException(RpcException.SERVER_ERROR,
                    "execution aborted (timeout = " + ChainState.CALL_TIMEOUT.toSeconds() + "s)");
            case CallOutcome.Success s -> new RpcException(RpcException.INTERNAL_ERROR, "not an error");
        };
    }

    private static String haltMessage(CallOutcome.Halted h) {
        return switch (h.reason()) {
            case OUT_OF_GAS -> "out of gas";
            case INVALID_OPCODE -> "invalid opcode";
            case INVALID_JUMP -> "invalid jump destination";
            case STACK_UNDERFLOW -> "stack underflow";
            case STACK_OVERFLOW -> "stack limit reached 1024";
            case STATIC_STATE_CHANGE -> "write protection";
            default -> "execution failed: " + h.reason().name().toLowerCase();
        };
    }

    private static String invalidMessage(CallOutcome.Invalid i) {
        if (i.reason() == TxRejection.INSUFFICIENT_ACCOUNT_FUNDS) return "insufficient funds for gas * price + value";
        if (i.reason() == TxRejection.INTRINSIC_GAS_TOO_LOW) return "intrinsic gas too low";
        if (i.reason() == TxRejection.GAS_ALLOWANCE_EXCEEDED) return "exceeds block gas limit";
        // A failure of ours inside the EVM: the detail names Java internals, which callers never see.
        if (i.reason() == TxRejection.EXECUTION_FAILED) return "internal error: the call could not be executed";
        return i.reason().name().toLowerCase().replace('_', ' ') + (i.detail().isEmpty() ? "" : ": " + i.detail());
    }

    /** "execution reverted", plus the reason when the data is an Error(string) (selector 0x08c379a0), as geth reports it. */
    static String revertMessage(byte[] data) {
        if (data.length >= 68 && data[0] == 0x08 && data[1] == (byte) 0xc3 && data[2] == 0x79 && data[3] == (byte) 0xa0) {
            try {
                BigInteger offset = new BigInteger(1, Arrays.copyOfRange(data, 4, 36));
                int off = 4 + offset.intValueExact();
                int len = new BigInteger(1, Arrays.copyOfRange(data, off, off + 32)).intValueExact();
                if (off + 32 + len <= data.length) {
                    return "execution reverted: " + new String(data, off + 32, len, StandardCharsets.UTF_8);
                }
            } catch (ArithmeticException | IndexOutOfBoundsException | IllegalArgumentException ignored) {
                // not a well-formed Error(string): fall through to the bare message
            }
        }
        return "execution reverted";
    }
}
