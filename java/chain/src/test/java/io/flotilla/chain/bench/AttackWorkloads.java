package io.flotilla.chain.bench;

import static io.flotilla.evm.bench.Asm.*;

import io.flotilla.chain.execution.Genesis.GenesisAccount;
import io.flotilla.evm.bench.Asm;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.precompile.Precompile;
import io.flotilla.evm.precompile.Precompiles;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.Gas;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Sign;

/**
 * The attack workloads of {@link WorstCaseBench}: contracts in raw bytecode (deployed in the genesis state) and the
 * transactions that call them. Every loop checks the gas left before each iteration and stops cleanly, so the
 * transactions succeed and their state changes (storage, logs, created accounts) reach the state root.
 */
final class AttackWorkloads {
    /** Populations of the large state (addresses: see {@link #hashed}). */
    static final int EOAS = 100_000;
    static final int CONTRACTS = 100_000;
    /** Contracts with their own 24 KiB code (the others share one code array: a code hash is analysed once). */
    static final int UNIQUE_CODE_CONTRACTS = 12_288;
    static final int SLOTS = 100_000;
    static final int HOLDERS = 100_000;
    static final long EOA_TAG = 1;
    static final long CONTRACT_TAG = 2;
    /** The consecutive accounts of the third state start here. */
    static final BigInteger CONSECUTIVE_BASE = new BigInteger("ee00000000000000000000000000000000000000", 16);
    static final int CONSECUTIVE = 30_000;
    static final BigInteger RECIPIENT_BASE = new BigInteger("f000000000000000000000000000000000000000", 16);
    static final Address STORAGE_CONTRACT = Address.fromHex("0x5100000000000000000000000000000000000001");
    static final Address LOOKUP_CONTRACT = Address.fromHex("0x5100000000000000000000000000000000000002");
    static final Address TOKEN = Address.fromHex("0x7000000000000000000000000000000000000001");
    static final Address BIG_TOKEN = Address.fromHex("0x7000000000000000000000000000000000000002");
    static final Address SPRAY = Address.fromHex("0x5100000000000000000000000000000000000003");

    /** Which committed state a workload runs on. */
    enum State { SMALL, LARGE, CONSECUTIVE }
    private static final BigInteger ATTACK_BASE = new BigInteger("a77ac00000000000000000000000000000000000", 16);
    private static final String TRANSFER_TOPIC = "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
    private static final Precompiles PRECOMPILES = Precompiles.cancun();

    /**
     * One workload: {@code target} is called by every transaction with {@code calldata(i)} (i = index in the block)
     * and gas {@code min(txGas, gas left in the block)}; the block is full when less than {@code minTxGas} is left.
     */
    record Workload(String name, State state, Address target, long txGas, long minTxGas, int senders,
                    IntFunction<byte[]> calldata, Map<Address, GenesisAccount> accounts) {
    }

    private final List<Workload> all = new ArrayList<>();
    private int nextAttack;
    private final Path kzgVectors;

    AttackWorkloads(Path kzgVectors) {
        this.kzgVectors = kzgVectors;
    }

    /** Accounts of the large state: the low 20 bytes of keccak(tag . i), spread like real addresses. */
    static Address hashed(long tag, long i) {
        return Address.fromWord(Word.fromBytes(Keccak.hash(concat(word(tag), word(i)))));
    }

    static Address address(BigInteger base, long i) {
        return Address.fromWord(Word.fromBigInteger(base.add(BigInteger.valueOf(i))));
    }

    static byte[] word(BigInteger v) {
        byte[] out = new byte[32];
        byte[] b = v.toByteArray();
        int n = Math.min(32, b.length);
        System.arraycopy(b, b.length - n, out, 32 - n, n);
        return out;
    }

    static byte[] word(long v) {
        return word(BigInteger.valueOf(v));
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    /** The mapping slot of {@code holder} in a Solidity-style {@code mapping(address => uint)} at slot 0. */
    static Word balanceSlot(Address holder) {
        return Word.fromBytes(Keccak.hash(concat(word(holder.toWord().toBigInteger()), word(0))));
    }

    private static GenesisAccount contract(byte[] code) {
        return new GenesisAccount(BigInteger.ZERO, 1, code, Map.of());
    }

    private static IntFunction<byte[]> start(long stride) {
        return i -> word(i * stride);
    }

    /**
     * A contract looping while at least {@code reserve} gas is left: {@code prologue} once, then {@code unroll}
     * copies of {@code body} per iteration; {@code data} is appended after the code (label "data").
     */
    private static byte[] loop(long reserve, int unroll, Consumer<Asm> prologue, Consumer<Asm> body, byte[] data) {
        Asm c = new Asm();
        prologue.accept(c);
        c.label("loop").exitIfGasBelow(reserve, "end");
        for (int i = 0; i < unroll; i++) body.accept(c);
        c.jump("loop");
        c.label("end").op(STOP);
        c.mark("data").data(data);
        return c.build();
    }

    private void add(String name, boolean large, long txGas, long reserve, IntFunction<byte[]> calldata, byte[] code) {
        Address target = address(ATTACK_BASE, nextAttack++);
        Map<Address, GenesisAccount> accounts = new LinkedHashMap<>();
        accounts.put(target, contract(code));
        all.add(new Workload(name, large ? State.LARGE : State.SMALL, target, txGas, reserve + 30_000, 1, calldata, accounts));
    }

    // ---------------------------------------------------------------- precompiles

    private static Precompile precompile(int n) {
        return PRECOMPILES.get(Address.precompile(n));
    }

    /** Calls precompile {@code n} with {@code input} (valid, checked here) in a loop. */
    private void precompileLoop(String name, int n, byte[] input, int unroll, long txGas) {
        Precompile p = precompile(n);
        byte[] out = p.run(input);
        if (out == null) throw new IllegalStateException(name + ": the precompile rejects the bench's input");
        long cost = p.gas(input);
        int inLen = input.length;
        long outOff = (inLen + 31) / 32 * 32;
        long reserve = unroll * (cost + cost / 63 + 300) + 3_000;
        byte[] code = loop(reserve, unroll,
                c -> {
                    if (inLen > 0) c.push(inLen).pushLabel("data").push(0).op(CODECOPY);
                },
                c -> c.push(out.length).push(outOff).push(inLen).push(0).push(n).op(GAS, STATICCALL, POP),
                input);
        add(name, false, txGas, reserve, i -> new byte[0], code);
    }

    private static final BigInteger BN_P = new BigInteger("21888242871839275222246405745257275088696311157297823662689037894645226208583");
    private static final byte[] BN_G1 = concat(word(1), word(2));
    /** The BN254 G2 generator (EIP-197), each F_p² coordinate as (imaginary, real). */
    private static final byte[] BN_G2 = concat(
            word(new BigInteger("11559732032986387107991004021392285783925812861821192530917403151452391805634")),
            word(new BigInteger("10857046999023057135944570762232829481370756359578518086990519993285655852781")),
            word(new BigInteger("4082367875863433681332203403145435568316851327593401208105741076214120093531")),
            word(new BigInteger("8495653923123431417604973247489272438418190587263600148770280649306958101930")));

    private static byte[] bnMul(byte[] point, BigInteger k) {
        return precompile(7).run(concat(point, word(k)));
    }

    /** k pairs (P, Q), (-P, Q), ... whose product is one (an odd count ends with an unmatched pair). */
    private static byte[] pairingInput(int pairs) {
        byte[] p = bnMul(BN_G1, BigInteger.valueOf(0x1234567));
        byte[] negP = concat(Arrays.copyOfRange(p, 0, 32), word(BN_P.subtract(new BigInteger(1, Arrays.copyOfRange(p, 32, 64)))));
        byte[][] parts = new byte[pairs][];
        for (int i = 0; i < pairs; i++) parts[i] = concat(i % 2 == 0 ? p : negP, BN_G2);
        return concat(parts);
    }

    private static byte[] ecrecoverInput() {
        ECKeyPair key = ECKeyPair.create(BigInteger.valueOf(0xA77AC));
        byte[] hash = Keccak.hash("worst case".getBytes());
        Sign.SignatureData sig = Sign.signMessage(hash, key, false);
        return concat(hash, word(sig.getV()[0] & 0xFF), sig.getR(), sig.getS());
    }

    private static byte[] blake2fInput(long rounds) {
        byte[] in = new byte[213];
        in[0] = (byte) (rounds >>> 24);
        in[1] = (byte) (rounds >>> 16);
        in[2] = (byte) (rounds >>> 8);
        in[3] = (byte) rounds;
        for (int i = 4; i < 212; i++) in[i] = (byte) (i * 31);
        in[212] = 1;
        return in;
    }

    /** MODEXP input: base, exponent and modulus of the given lengths, all bytes 0xff except as noted. */
    private static byte[] modexpInput(int baseLen, byte[] exp, int modLen, boolean oddModulus) {
        byte[] base = new byte[baseLen];
        Arrays.fill(base, (byte) 0xfe);
        byte[] mod = new byte[modLen];
        Arrays.fill(mod, (byte) 0xff);
        if (!oddModulus) mod[modLen - 1] = (byte) 0xfe;
        return concat(word(baseLen), word(exp.length), word(modLen), base, exp, mod);
    }

    private static byte[] filled(int len, int value) {
        byte[] b = new byte[len];
        Arrays.fill(b, (byte) value);
        return b;
    }

    /**
     * A valid point-evaluation input (versioned hash, z, y, commitment, proof) read from the Ethereum tests' external
     * KZG vectors: the first correct proof whose commitment and proof are not the point at infinity. Null when the
     * file is missing.
     */
    byte[] pointEvaluationInput() throws java.io.IOException {
        if (kzgVectors == null || !Files.isRegularFile(kzgVectors)) return null;
        String json = Files.readString(kzgVectors);
        Matcher m = Pattern.compile("\"data\"\\s*:\\s*\\[\\s*\"0x([0-9a-fA-F]{384})\"").matcher(json);
        Precompile p = precompile(10);
        while (m.find()) {
            byte[] in = Hex.decode(m.group(1));
            if ((in[96] & 0xFF) != 0xC0 && (in[144] & 0xFF) != 0xC0 && p.run(in) != null) return in;
        }
        return null;
    }

    // ---------------------------------------------------------------- the list

    List<Workload> build() throws java.io.IOException {
        // Precompiles at their cheapest call, then at their most expensive input per gas.
        precompileLoop("ecrecover-valid", 1, ecrecoverInput(), 4, 10_000_000);
        precompileLoop("sha256-empty", 2, new byte[0], 16, 10_000_000);
        precompileLoop("sha256-16k", 2, filled(16_384, 0xa5), 1, 10_000_000);
        precompileLoop("ripemd160-empty", 3, new byte[0], 16, 10_000_000);
        precompileLoop("ripemd160-16k", 3, filled(16_384, 0xa5), 1, 10_000_000);
        precompileLoop("identity-empty", 4, new byte[0], 16, 10_000_000);
        precompileLoop("identity-16k", 4, filled(16_384, 0xa5), 1, 10_000_000);
        // 200 gas (the minimum): 24 words squared, one iteration (exponent 3) / 8 words, 9 iterations (10-bit
        // exponent) / 1 word, 600 iterations (a 107-byte exponent whose top 32 bytes are 1).
        precompileLoop("modexp-min-192B-exp3", 5, modexpInput(192, new byte[] {3}, 192, false), 8, 10_000_000);
        precompileLoop("modexp-min-64B-exp10bit", 5, modexpInput(64, new byte[] {0x03, (byte) 0xff}, 64, false), 8, 10_000_000);
        byte[] longExp = new byte[107];
        longExp[31] = 1;
        Arrays.fill(longExp, 32, 107, (byte) 0xff);
        precompileLoop("modexp-min-8B-exp601bit", 5, modexpInput(8, longExp, 8, false), 8, 10_000_000);
        precompileLoop("modexp-512B-exp512B", 5, modexpInput(512, filled(512, 0xff), 512, false), 1, 30_000_000);
        precompileLoop("modexp-64B-exp512B", 5, modexpInput(64, filled(512, 0xff), 64, false), 1, 10_000_000);
        byte[] twoP = precompile(6).run(concat(BN_G1, BN_G1));
        byte[] p = bnMul(BN_G1, BigInteger.valueOf(0x1234567));
        precompileLoop("ecadd-valid", 6, concat(p, twoP), 16, 10_000_000);
        precompileLoop("ecmul-max-scalar", 7, concat(p, word(BigInteger.ONE.shiftLeft(256).subtract(BigInteger.ONE))), 4, 1_000_000);
        precompileLoop("ecpairing-1-pair", 8, pairingInput(1), 1, 2_000_000);
        precompileLoop("ecpairing-16-pairs", 8, pairingInput(16), 1, 2_000_000);
        precompileLoop("blake2f-0-rounds", 9, blake2fInput(0), 16, 10_000_000);
        precompileLoop("blake2f-1M-rounds", 9, blake2fInput(1_000_000), 1, 10_000_000);
        byte[] kzg = pointEvaluationInput();
        if (kzg != null) precompileLoop("point-evaluation-valid", 10, kzg, 1, 1_000_000);
        else System.err.println("bench worstcase: no KZG vectors at " + kzgVectors + ": point-evaluation skipped");

        // KECCAK256 over 32 KiB of memory, and over one word.
        add("keccak-32k", false, 10_000_000, 2 * 6_200 + 3_000, i -> new byte[0],
                loop(2 * 6_200 + 3_000, 2, c -> { }, c -> c.push(32_768).push(0).op(KECCAK256, POP), new byte[0]));
        add("keccak-32B", false, 10_000_000, 16 * 50 + 3_000, i -> new byte[0],
                loop(16 * 50 + 3_000, 16, c -> { }, c -> c.push(32).push(0).op(KECCAK256, POP), new byte[0]));

        // Memory: many frames, each expanding its memory as far as its gas allows (1024 words for 5200 gas).
        long words = 1024;
        long childGas = Gas.memoryCost(words) + 40;
        Address expander = address(ATTACK_BASE, nextAttack++);
        Map<Address, GenesisAccount> memAccounts = new LinkedHashMap<>();
        memAccounts.put(expander, contract(new Asm().push(1).push(words * 32 - 1).op(MSTORE8, STOP).build()));
        Address memDriver = address(ATTACK_BASE, nextAttack++);
        long memReserve = 4 * (childGas + 3_000) + 3_000;
        memAccounts.put(memDriver, contract(loop(memReserve, 4, c -> { },
                c -> c.push(0).push(0).push(0).push(0).push(0).push(expander.toWord().toBigInteger()).push(childGas).op(CALL, POP),
                new byte[0])));
        all.add(new Workload("memory-expansion-frames", State.SMALL, memDriver, 10_000_000, memReserve + 30_000, 1, i -> new byte[0], memAccounts));

        // Deep call chains: each chain recurses as deep as the 63/64 rule allows (~500 frames), over and over.
        Address recursive = address(ATTACK_BASE, nextAttack++);
        Map<Address, GenesisAccount> deepAccounts = new LinkedHashMap<>();
        deepAccounts.put(recursive, contract(new Asm().push(0).push(0).push(0).push(0).push(0).op(ADDRESS, GAS, CALL, POP, STOP).build()));
        Address deepDriver = address(ATTACK_BASE, nextAttack++);
        deepAccounts.put(deepDriver, contract(loop(200_000, 1, c -> { },
                c -> c.push(0).push(0).push(0).push(0).push(0).push(recursive.toWord().toBigInteger()).op(GAS, CALL, POP), new byte[0])));
        all.add(new Workload("call-depth-max", State.SMALL, deepDriver, 30_000_000, 230_000, 1, i -> new byte[0], deepAccounts));

        // Storage churn: new slots; set then clear a fresh slot; rewrite one dirty slot (100 gas a write).
        add("sstore-new-slots", false, 10_000_000, 4 * 22_200 + 3_000, start(1L << 32),
                loop(4 * 22_200 + 3_000, 4, c -> c.push(0).op(CALLDATALOAD), c -> c.push(1).op(DUP2, SSTORE).push(1).op(ADD), new byte[0]));
        add("sstore-set-clear", false, 10_000_000, 4 * 22_300 + 3_000, start(1L << 32),
                loop(4 * 22_300 + 3_000, 4, c -> c.push(0).op(CALLDATALOAD),
                        c -> c.push(1).op(DUP2, SSTORE).push(0).op(DUP2, SSTORE).push(1).op(ADD), new byte[0]));
        add("sstore-dirty-rewrite", false, 10_000_000, 16 * 2_200 + 3_000, i -> word(((long) i << 32) + 1),
                loop(16 * 2_200 + 3_000, 16, c -> c.push(0).op(CALLDATALOAD), c -> c.op(DUP1).push(0).op(SSTORE).push(1).op(ADD), new byte[0]));

        // CREATE / CREATE2 of max-size (24 KiB) code, and CREATE of empty accounts.
        long maxInit = 0x6160005ff3L; // PUSH2 0x6000 PUSH0 RETURN: returns 24 KiB of zeros
        long createReserve = 5_300_000;
        add("create-24k", false, 30_000_000, createReserve, i -> new byte[0],
                loop(createReserve, 1, c -> c.push(maxInit).push(0).op(MSTORE), c -> c.push(5).push(27).push(0).op(CREATE, POP), new byte[0]));
        add("create2-24k", false, 30_000_000, createReserve, start(1L << 32),
                loop(createReserve, 1, c -> c.push(maxInit).push(0).op(MSTORE).push(0).op(CALLDATALOAD),
                        c -> c.op(DUP1).push(5).push(27).push(0).op(CREATE2, POP).push(1).op(ADD), new byte[0]));
        add("create-empty", false, 10_000_000, 4 * 34_000 + 3_000, i -> new byte[0],
                loop(4 * 34_000 + 3_000, 4, c -> { }, c -> c.push(0).push(0).push(0).op(CREATE, POP), new byte[0]));

        // Logs: LOG4 with 16 KiB of data; LOG4 without data.
        add("log4-16k", false, 10_000_000, 140_000, i -> new byte[0],
                loop(140_000, 1, c -> { }, c -> c.push(0xdead).op(DUP1, DUP1, DUP1).push(16_384).push(0).op(LOG4), new byte[0]));
        add("log4-empty", false, 10_000_000, 8 * 1_900 + 3_000, i -> new byte[0],
                loop(8 * 1_900 + 3_000, 8, c -> { }, c -> c.push(0xdead).op(DUP1, DUP1, DUP1).push(0).push(0).op(LOG4), new byte[0]));

        // ERC-20 transfers to new holders (reference), on a small token and on one with 100k holders.
        all.add(erc20("erc20-transfers", TOKEN, false));

        // The large state: cold accesses over many distinct accounts and slots, JUMPDEST analysis.
        all.add(new Workload("sload-cold-100k-slots", State.LARGE, STORAGE_CONTRACT, 10_000_000, 60_000, 1, i -> concat(word(i * 5_000L), word(0)), Map.of()));
        all.add(new Workload("sstore-new-in-100k-slot-contract", State.LARGE, STORAGE_CONTRACT, 10_000_000, 130_000, 1,
                i -> concat(word((1L << 40) + ((long) i << 32)), word(1)), Map.of()));
        long coldStride = 10_000_000 / 2_600 + 64;
        all.add(lookup("balance-cold-100k-eoas", 0, EOA_TAG, coldStride));
        all.add(lookup("extcodesize-cold-100k-contracts", 1, CONTRACT_TAG, coldStride));
        all.add(lookup("extcodecopy-cold-24k", 2, CONTRACT_TAG, 10_000_000 / 4_900 + 64));
        all.add(lookup("jumpdest-analysis-24k-distinct", 3, CONTRACT_TAG, coldStride));
        all.add(erc20("erc20-transfers-100k-holders", BIG_TOKEN, true));

        // Value transfers creating accounts at consecutive addresses: on the small state, and on one that already
        // holds 30k consecutive accounts (InMemoryWorldState.addresses() copies with Set.copyOf, whose probing
        // degrades with consecutive hash codes).
        IntFunction<byte[]> spray = i -> concat(word(i * 300L), word(CONSECUTIVE_BASE.add(BigInteger.valueOf(CONSECUTIVE))));
        all.add(new Workload("value-to-new-accounts", State.SMALL, SPRAY, 10_000_000, 180_000, 1, spray, Map.of()));
        all.add(new Workload("value-to-new-accounts-30k-consecutive", State.CONSECUTIVE, SPRAY, 10_000_000, 180_000, 1, spray, Map.of()));
        return all;
    }

    private static Workload lookup(String name, int mode, long tag, long stride) {
        return new Workload(name, State.LARGE, LOOKUP_CONTRACT, 10_000_000, 60_000, 1,
                i -> concat(word(i * stride), word(mode), word(tag)), Map.of());
    }

    private static Workload erc20(String name, Address token, boolean large) {
        IntFunction<byte[]> transfer = i -> concat(Hex.decode("0xa9059cbb"), word(RECIPIENT_BASE.add(BigInteger.valueOf(i))), word(1));
        return new Workload(name, large ? State.LARGE : State.SMALL, token, 60_000, 60_000, WorstCaseBench.SENDERS, transfer, Map.of());
    }

    // ---------------------------------------------------------------- contracts of the large state

    /**
     * Holds {@link #SLOTS} slots; calldata (start, mode): mode 0 reads slot start, start+1, ... (cold SLOADs), mode 1
     * writes 1 to new slots start, start+1, ... (so the block rewrites the storage trie of a contract with 100k slots).
     */
    static byte[] storageContract() {
        Asm c = new Asm();
        c.push(0).op(CALLDATALOAD).push(32).op(CALLDATALOAD).jumpi("write");
        c.label("read").exitIfGasBelow(8 * 2_200 + 3_000, "end");
        for (int i = 0; i < 8; i++) c.op(DUP1, SLOAD, POP).push(1).op(ADD);
        c.jump("read");
        c.label("write").exitIfGasBelow(4 * 22_200 + 3_000, "end");
        for (int i = 0; i < 4; i++) c.push(1).op(DUP2, SSTORE).push(1).op(ADD);
        c.jump("write");
        c.label("end").op(STOP);
        return c.build();
    }

    /** Scratch memory of the lookup contract, above the 24 KiB that EXTCODECOPY fills. */
    private static final int SCRATCH = Gas.MAX_CODE_SIZE;

    /**
     * Calldata (start, mode, tag): for the accounts {@link #hashed}(tag, start), (tag, start + 1), ...: mode 0 BALANCE,
     * 1 EXTCODESIZE, 2 EXTCODECOPY of 24 KiB, 3 CALL (whose frame analyses the callee's JUMPDESTs).
     */
    static byte[] lookupContract() {
        Asm c = new Asm();
        c.push(64).op(CALLDATALOAD).push(SCRATCH).op(MSTORE);   // mem[S] = tag
        c.push(0).op(CALLDATALOAD);                              // [i]
        c.push(32).op(CALLDATALOAD, DUP1, ISZERO).jumpi("balance");
        c.push(1).op(DUP2, SUB, ISZERO).jumpi("size");
        c.push(2).op(DUP2, SUB, ISZERO).jumpi("copy");
        c.jump("call");
        Consumer<Asm> address = a -> a.op(DUP1).push(SCRATCH + 32).op(MSTORE).push(64).push(SCRATCH).op(KECCAK256); // [i, addr]
        c.label("balance").op(POP).label("balance-loop").exitIfGasBelow(8 * 2_800 + 3_000, "end");
        for (int k = 0; k < 8; k++) {
            address.accept(c);
            c.op(BALANCE, POP).push(1).op(ADD);
        }
        c.jump("balance-loop");
        c.label("size").op(POP).label("size-loop").exitIfGasBelow(8 * 2_800 + 3_000, "end");
        for (int k = 0; k < 8; k++) {
            address.accept(c);
            c.op(EXTCODESIZE, POP).push(1).op(ADD);
        }
        c.jump("size-loop");
        c.label("copy").op(POP).label("copy-loop").exitIfGasBelow(2 * 5_100 + 8_000, "end");
        for (int k = 0; k < 2; k++) {
            address.accept(c);
            c.push(Gas.MAX_CODE_SIZE).push(0).push(0).op(DUP4, EXTCODECOPY, POP).push(1).op(ADD);
        }
        c.jump("copy-loop");
        c.label("call").op(POP).label("call-loop").exitIfGasBelow(8 * 2_900 + 3_000, "end");
        for (int k = 0; k < 8; k++) {
            address.accept(c);
            c.push(0).push(0).push(0).push(0).push(0).op(DUP6, GAS, CALL, POP, POP).push(1).op(ADD);
        }
        c.jump("call-loop");
        c.label("end").op(STOP);
        return c.build();
    }

    /**
     * Calldata (start, base): sends 1 wei to base + start, base + start + 1, ...: each creates an account (consecutive
     * addresses, as anyone may choose the recipients of value transfers).
     */
    static byte[] sprayContract() {
        return loop(4 * 37_000 + 3_000, 4, c -> c.push(0).op(CALLDATALOAD),
                c -> c.push(0).push(0).push(0).push(0).push(1).op(DUP6).push(32).op(CALLDATALOAD, ADD).push(0).op(CALL, POP).push(1).op(ADD),
                new byte[0]);
    }

    /** 24 KiB starting with STOP, then {@code index}, then JUMPDESTs (the slowest bytes to analyse: one mark each). */
    static byte[] bigCode(int index) {
        byte[] code = new byte[Gas.MAX_CODE_SIZE];
        Arrays.fill(code, (byte) JUMPDEST);
        code[0] = STOP;
        code[1] = (byte) (index >>> 24);
        code[2] = (byte) (index >>> 16);
        code[3] = (byte) (index >>> 8);
        code[4] = (byte) index;
        return code;
    }

    /**
     * transfer(address to, uint256 amount) over balances at keccak(holder . 0), with a Transfer log; reverts when the
     * balance is short. Returns true.
     */
    static byte[] tokenContract() {
        Asm c = new Asm();
        c.op(CALLER).push(0).op(MSTORE).push(64).push(0).op(KECCAK256);      // [fs]
        c.op(DUP1, SLOAD).push(0x24).op(CALLDATALOAD);                        // [fs, fb, amt]
        c.op(DUP1, DUP3, LT).jumpi("revert");                                 // fb < amt
        c.op(DUP1, DUP3, SUB, DUP4, SSTORE);                                  // balances[from] = fb - amt
        c.push(4).op(CALLDATALOAD).push(0).op(MSTORE).push(64).push(0).op(KECCAK256); // [fs, fb, amt, ts]
        c.op(DUP1, SLOAD, DUP3, ADD, SWAP1, SSTORE);                          // balances[to] += amt
        c.push(0).op(MSTORE);                                                 // mem[0] = amt; [fs, fb]
        c.push(4).op(CALLDATALOAD, CALLER).push(new BigInteger(TRANSFER_TOPIC, 16)).push(32).push(0).op(LOG3);
        c.push(1).push(0).op(MSTORE).push(32).push(0).op(RETURN);
        c.label("revert").push(0).push(0).op(REVERT);
        return c.build();
    }
}
