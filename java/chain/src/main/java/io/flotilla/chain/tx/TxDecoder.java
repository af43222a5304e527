package io.flotilla.chain.tx;

import io.flotilla.chain.tx.InvalidTransactionException.Reason;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.crypto.Secp256k1;
import io.flotilla.evm.tx.AccessListEntry;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Decodes signed raw transactions (legacy with or without EIP-155, EIP-2930, EIP-1559) for one chain and
 * recovers their senders. Signing payloads are re-encoded from the decoded RLP items themselves, so the
 * hash that was signed is reproduced byte for byte.
 */
public final class TxDecoder {
    private static final BigInteger HALF_N = Secp256k1.N.shiftRight(1);
    private static final BigInteger V27 = BigInteger.valueOf(27);
    private static final BigInteger V28 = BigInteger.valueOf(28);
    private static final BigInteger V35 = BigInteger.valueOf(35);

    private static final int RECOVERED_CACHE = 65_536;

    private final long chainId;
    private final boolean allowUnprotected;
    /**
     * Senders already recovered, by the keccak of the raw bytes (which cover the signature): the same transaction
     * arrives from a client, from peers and again inside a proposed block, and recovery is the costly part.
     */
    private final java.util.Map<io.flotilla.evm.types.Word, Address> recovered = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(1024, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<io.flotilla.evm.types.Word, Address> eldest) {
                    return size() > RECOVERED_CACHE;
                }
            });

    /**
     * @param allowUnprotected accept legacy transactions without a chain id (v = 27/28); keyless deployment
     *                         schemes (e.g. the common CREATE2 factory) rely on them.
     */
    public TxDecoder(long chainId, boolean allowUnprotected) {
        this.chainId = chainId;
        this.allowUnprotected = allowUnprotected;
    }

    public long chainId() {
        return chainId;
    }

    /** Decodes and verifies the signature, recovering the sender. */
    public SignedTransaction decode(byte[] raw) throws InvalidTransactionException {
        if (raw == null || raw.length == 0) throw malformed("empty transaction");
        io.flotilla.evm.types.Word key = io.flotilla.evm.types.Word.fromBytes(io.flotilla.evm.crypto.Keccak.hash(raw));
        Address known = recovered.get(key);
        SignedTransaction tx = decode(raw, known);
        if (known == null) recovered.put(key, tx.sender());
        return tx;
    }

    /**
     * Decodes a transaction whose sender was recovered before (e.g. when it was admitted); skips the
     * costly public-key recovery. Only for bytes this node stored itself.
     */
    public SignedTransaction decodeTrusted(byte[] raw, Address sender) {
        try {
            return decode(raw, sender);
        } catch (InvalidTransactionException e) {
            throw new IllegalStateException("stored transaction no longer decodes: " + e.getMessage(), e);
        }
    }

    private SignedTransaction decode(byte[] raw, Address knownSender) throws InvalidTransactionException {
        if (raw == null || raw.length == 0) throw malformed("empty transaction");
        int first = raw[0] & 0xFF;
        try {
            if (first >= 0xC0) return decodeLegacy(raw, knownSender);
            if (first == 1 || first == 2) return decodeTyped(first, raw, knownSender);
        } catch (InvalidTransactionException e) {
            throw e;
        } catch (RuntimeException e) {
            // web3j's decoder signals truncated or inconsistent input with assorted runtime exceptions, whose
            // messages describe Java internals rather than the input.
            throw malformed("rlp: malformed transaction encoding");
        } catch (StackOverflowError e) {
            // The decoder recurses per nesting level; hostile input can nest deeper than the stack.
            throw malformed("rlp: nesting too deep");
        }
        if (first <= 0x7F) throw new InvalidTransactionException(Reason.UNSUPPORTED_TYPE, "transaction type not supported: " + first);
        throw malformed("rlp: expected a list or a typed envelope");
    }

    private SignedTransaction decodeLegacy(byte[] raw, Address knownSender) throws InvalidTransactionException {
        List<RlpType> f = topList(raw, 0);
        if (f.size() != 9) throw malformed("legacy transaction needs 9 fields, got " + f.size());
        long nonce = uint64(f.get(0), "nonce");
        BigInteger gasPrice = uint256(f.get(1), "gasPrice");
        long gas = uint64(f.get(2), "gas");
        Address to = address(f.get(3));
        BigInteger value = uint256(f.get(4), "value");
        byte[] data = bytes(f.get(5));
        BigInteger v = uint256(f.get(6), "v");
        BigInteger r = uint256(f.get(7), "r");
        BigInteger s = uint256(f.get(8), "s");

        Long txChainId;
        int recId;
        byte[] signingHash;
        if (v.equals(V27) || v.equals(V28)) {
            if (!allowUnprotected) throw new InvalidTransactionException(Reason.UNPROTECTED, "only replay-protected (EIP-155) transactions allowed");
            txChainId = null;
            recId = v.intValue() - 27;
            signingHash = Keccak.hash(io.flotilla.evm.rlp.Rlp.encode(new RlpList(f.subList(0, 6))));
        } else if (v.compareTo(V35) >= 0) {
            BigInteger id = v.subtract(V35).shiftRight(1);
            recId = v.subtract(V35).testBit(0) ? 1 : 0;
            if (id.bitLength() > 63 || id.longValue() != chainId) {
                throw wrongChain(id);
            }
            txChainId = id.longValue();
            List<RlpType> payload = new ArrayList<>(f.subList(0, 6));
            payload.add(RlpString.create(id));
            payload.add(RlpString.create(new byte[0]));
            payload.add(RlpString.create(new byte[0]));
            signingHash = Keccak.hash(io.flotilla.evm.rlp.Rlp.encode(new RlpList(payload)));
        } else {
            throw new InvalidTransactionException(Reason.INVALID_SIGNATURE, "invalid sender: bad v " + v);
        }
        Address sender = knownSender != null ? knownSender : recover(signingHash, recId, r, s);
        return new SignedTransaction(0, txChainId, nonce, gasPrice, gasPrice, gasPrice, gas, to, value, data,
                List.of(), v, r, s, sender, Keccak.hash(raw), raw.clone());
    }

    private SignedTransaction decodeTyped(int type, byte[] raw, Address knownSender) throws InvalidTransactionException {
        List<RlpType> f = topList(raw, 1);
        int expected = type == 1 ? 11 : 12;
        if (f.size() != expected) throw malformed("type " + type + " transaction needs " + expected + " fields, got " + f.size());
        BigInteger id = uint256(f.get(0), "chainId");
        if (id.bitLength() > 63 || id.longValue() != chainId) throw wrongChain(id);
        long nonce = uint64(f.get(1), "nonce");
        int i = 2;
        BigInteger gasPrice = null;
        BigInteger tip;
        BigInteger feeCap;
        if (type == 1) {
            gasPrice = uint256(f.get(i++), "gasPrice");
            tip = gasPrice;
            feeCap = gasPrice;
        } else {
            tip = uint256(f.get(i++), "maxPriorityFeePerGas");
            feeCap = uint256(f.get(i++), "maxFeePerGas");
        }
        long gas = uint64(f.get(i++), "gas");
        Address to = address(f.get(i++));
        BigInteger value = uint256(f.get(i++), "value");
        byte[] data = bytes(f.get(i++));
        List<AccessListEntry> accessList = accessList(f.get(i++));
        BigInteger yParity = uint256(f.get(i++), "yParity");
        BigInteger r = uint256(f.get(i++), "r");
        BigInteger s = uint256(f.get(i), "s");
        if (yParity.compareTo(BigInteger.ONE) > 0) throw new InvalidTransactionException(Reason.INVALID_SIGNATURE, "invalid sender: bad y parity");

        byte[] payload = io.flotilla.evm.rlp.Rlp.encode(new RlpList(f.subList(0, expected - 3)));
        byte[] preimage = new byte[payload.length + 1];
        preimage[0] = (byte) type;
        System.arraycopy(payload, 0, preimage, 1, payload.length);
        Address sender = knownSender != null ? knownSender : recover(Keccak.hash(preimage), yParity.intValue(), r, s);
        return new SignedTransaction(type, id.longValue(), nonce, gasPrice, tip, feeCap, gas, to, value, data,
                accessList, yParity, r, s, sender, Keccak.hash(raw), raw.clone());
    }

    private static Address recover(byte[] signingHash, int recId, BigInteger r, BigInteger s) throws InvalidTransactionException {
        // EIP-2: high-s signatures are malleable copies of valid ones and are not accepted in transactions.
        if (s.compareTo(HALF_N) > 0) throw new InvalidTransactionException(Reason.INVALID_SIGNATURE, "invalid sender: signature s value too high");
        Optional<Address> sender = Secp256k1.recover(signingHash, recId, r, s);
        return sender.orElseThrow(() -> new InvalidTransactionException(Reason.INVALID_SIGNATURE, "invalid sender"));
    }

    private InvalidTransactionException wrongChain(BigInteger id) {
        return new InvalidTransactionException(Reason.WRONG_CHAIN_ID, "invalid chain id for signer: have " + id + " want " + chainId);
    }

    private static List<RlpType> topList(byte[] raw, int offset) throws InvalidTransactionException {
        try {
            RlpShape.requireShallow(raw, offset, 4); // a typed transaction nests 4 deep (access list keys)
        } catch (IllegalArgumentException e) {
            throw malformed(e.getMessage());
        }
        RlpList top = RlpDecoder.decode(Arrays.copyOfRange(raw, offset, raw.length));
        if (top.getValues().size() != 1 || !(top.getValues().get(0) instanceof RlpList list)) {
            throw malformed("rlp: expected exactly one list");
        }
        // The decoder silently tolerates a declared length beyond the input; re-encoding exposes that and trailing junk.
        byte[] reencoded = io.flotilla.evm.rlp.Rlp.encode(list);
        if (reencoded.length != raw.length - offset) throw malformed("rlp: non-canonical or truncated encoding");
        return list.getValues();
    }

    private static byte[] bytes(RlpType t) throws InvalidTransactionException {
        if (!(t instanceof RlpString s)) throw malformed("rlp: expected a string, got a list");
        return s.getBytes();
    }

    private static BigInteger uint256(RlpType t, String field) throws InvalidTransactionException {
        byte[] b = bytes(t);
        if (b.length > 32) throw malformed(field + " exceeds 256 bits");
        if (b.length > 0 && b[0] == 0) throw malformed("rlp: " + field + " has leading zero bytes");
        return new BigInteger(1, b);
    }

    private static long uint64(RlpType t, String field) throws InvalidTransactionException {
        BigInteger v = uint256(t, field);
        // Nonces and gas above 2^63 are useless here and would break signed arithmetic downstream.
        if (v.bitLength() > 63) throw malformed(field + " too large");
        return v.longValue();
    }

    private static Address address(RlpType t) throws InvalidTransactionException {
        byte[] b = bytes(t);
        if (b.length == 0) return null;
        if (b.length != 20) throw malformed("rlp: address must be 20 bytes");
        return Address.of(b);
    }

    private static List<AccessListEntry> accessList(RlpType t) throws InvalidTransactionException {
        if (!(t instanceof RlpList list)) throw malformed("rlp: access list must be a list");
        List<AccessListEntry> out = new ArrayList<>();
        for (RlpType item : list.getValues()) {
            if (!(item instanceof RlpList pair) || pair.getValues().size() != 2 || !(pair.getValues().get(1) instanceof RlpList keys)) {
                throw malformed("rlp: access list entry must be [address, [keys]]");
            }
            Address a = address(pair.getValues().get(0));
            if (a == null) throw malformed("rlp: access list address missing");
            List<Word> ks = new ArrayList<>();
            for (RlpType k : keys.getValues()) {
                byte[] kb = bytes(k);
                if (kb.length != 32) throw malformed("rlp: storage key must be 32 bytes");
                ks.add(Word.fromBytes(kb));
            }
            out.add(new AccessListEntry(a, List.copyOf(ks)));
        }
        return List.copyOf(out);
    }

    private static InvalidTransactionException malformed(String msg) {
        return new InvalidTransactionException(Reason.MALFORMED, msg);
    }
}
