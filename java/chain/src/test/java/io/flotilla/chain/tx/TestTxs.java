package io.flotilla.chain.tx;

import io.flotilla.evm.types.Address;
import java.math.BigInteger;
import java.util.List;
import org.web3j.crypto.AccessListObject;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.TransactionEncoder;

/** Transactions signed the way wallets sign them (web3j), for the tests of every package. */
public final class TestTxs {
    public static final long CHAIN_ID = 31_337_001L;
    public static final Credentials OWNER = Credentials.create("0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318");
    public static final Credentials ALICE = Credentials.create("0x8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63");
    public static final Credentials BOB = Credentials.create("0xc87509a1c067bbde78beb793e6fa76530b6382a4c0241e5e4a9ec0a0f44dc0d3");
    public static final BigInteger GWEI = BigInteger.TEN.pow(9);
    public static final BigInteger ETHER = BigInteger.TEN.pow(18);

    private TestTxs() {
    }

    /** A 32-byte word of call data or log data holding {@code v}, as hex. */
    public static String word(long v) {
        return "0x" + String.format("%064x", v);
    }

    public static Address address(Credentials c) {
        return Address.fromHex(c.getAddress());
    }

    /** Legacy transaction with EIP-155 replay protection. */
    public static byte[] legacy(Credentials from, long chainId, long nonce, BigInteger gasPrice, long gas, String to, BigInteger value, String data) {
        RawTransaction tx = RawTransaction.createTransaction(BigInteger.valueOf(nonce), gasPrice, BigInteger.valueOf(gas), to, value, data);
        return TransactionEncoder.signMessage(tx, chainId, from);
    }

    public static byte[] transfer(Credentials from, long nonce, String to, BigInteger value) {
        return legacy(from, CHAIN_ID, nonce, GWEI, 21_000, to, value, "");
    }

    /** EIP-1559 (type 2) transaction; {@code to == null} deploys {@code data} as init code. */
    public static byte[] eip1559(Credentials from, long chainId, long nonce, long gas, String to, BigInteger value, String data,
                                 BigInteger maxPriorityFee, BigInteger maxFee) {
        RawTransaction tx = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), BigInteger.valueOf(gas),
                to == null ? "" : to, value, data, maxPriorityFee, maxFee);
        return TransactionEncoder.signMessage(tx, from);
    }

    /** EIP-2930 (type 1) transaction with an access list. */
    public static byte[] eip2930(Credentials from, long chainId, long nonce, BigInteger gasPrice, long gas, String to,
                                 BigInteger value, String data, List<AccessListObject> accessList) {
        RawTransaction tx = RawTransaction.createTransaction(chainId, BigInteger.valueOf(nonce), gasPrice, BigInteger.valueOf(gas),
                to, value, data, accessList);
        return TransactionEncoder.signMessage(tx, from);
    }
}
