package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Hex;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.HexFormat;

/** Ethereum JSON encodings: QUANTITY (0x-hex, no leading zeros) and DATA (0x-hex bytes). */
final class Json {
    private Json() {
    }

    static String quantity(long v) {
        return "0x" + Long.toHexString(v);
    }

    static String quantity(BigInteger v) {
        return "0x" + v.toString(16);
    }

    static String data(byte[] b) {
        return Hex.encode(b);
    }

    static String address(Address a) {
        return a == null ? null : a.toString();
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    /**
     * A fresh filter or subscription id: 128 random bits as a QUANTITY (no leading zeros), as geth makes them. web3j
     * turns filter ids into numbers and back, so a zero-padded id would not survive the round trip.
     */
    static String randomId() {
        byte[] raw = new byte[16];
        RANDOM.nextBytes(raw);
        return quantity(new BigInteger(1, raw));
    }

    /** An id as a client sent it, in the form {@link #randomId} makes (lower case, no leading zeros). */
    static String normalizeId(String id) {
        String hex = id.startsWith("0x") || id.startsWith("0X") ? id.substring(2) : id;
        int i = 0;
        while (i < hex.length() - 1 && hex.charAt(i) == '0') i++;
        return "0x" + hex.substring(i).toLowerCase(java.util.Locale.ROOT);
    }

    static JsonNode param(JsonNode params, int i) {
        return params.size() > i ? params.get(i) : null;
    }

    static JsonNode required(JsonNode params, int i, String name) throws RpcException {
        JsonNode n = param(params, i);
        if (n == null || n.isNull()) throw RpcException.invalidParams("missing value for required argument " + i + " (" + name + ")");
        return n;
    }

    static BigInteger parseQuantity(JsonNode n, String name) throws RpcException {
        if (n.isIntegralNumber()) return n.bigIntegerValue();
        if (!n.isTextual()) throw RpcException.invalidParams(name + ": expected hex quantity");
        String s = n.asText();
        if (!s.startsWith("0x") || s.length() < 3 || s.length() > 66) throw RpcException.invalidParams(name + ": invalid hex quantity " + s);
        try {
            return new BigInteger(s.substring(2), 16);
        } catch (NumberFormatException e) {
            throw RpcException.invalidParams(name + ": invalid hex quantity " + s);
        }
    }

    static long parseLong(JsonNode n, String name) throws RpcException {
        BigInteger v = parseQuantity(n, name);
        if (v.signum() < 0 || v.bitLength() > 63) throw RpcException.invalidParams(name + ": out of range");
        return v.longValue();
    }

    static byte[] parseData(JsonNode n, String name) throws RpcException {
        if (!n.isTextual() || !n.asText().startsWith("0x")) throw RpcException.invalidParams(name + ": expected 0x-prefixed hex data");
        String s = n.asText().substring(2);
        if ((s.length() & 1) == 1) throw RpcException.invalidParams(name + ": odd-length hex data");
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw RpcException.invalidParams(name + ": invalid hex data");
        }
    }

    static Address parseAddress(JsonNode n, String name) throws RpcException {
        byte[] b = parseData(n, name);
        if (b.length != 20) throw RpcException.invalidParams(name + ": address must be 20 bytes");
        return Address.of(b);
    }

    static byte[] parseHash(JsonNode n, String name) throws RpcException {
        byte[] b = parseData(n, name);
        if (b.length != 32) throw RpcException.invalidParams(name + ": hash must be 32 bytes");
        return b;
    }

    static Word parseSlot(JsonNode n) throws RpcException {
        // Storage keys come both as full 32-byte data and as short quantities ("0x0").
        if (!n.isTextual() || !n.asText().startsWith("0x")) throw RpcException.invalidParams("storage key: expected hex");
        byte[] b = Hex.decode(n.asText());
        if (b.length > 32) throw RpcException.invalidParams("storage key: more than 32 bytes");
        return Word.fromBytes(b);
    }
}
