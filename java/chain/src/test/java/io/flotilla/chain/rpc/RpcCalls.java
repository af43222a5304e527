package io.flotilla.chain.rpc;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.time.Duration;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

/** What the JSON-RPC end-to-end tests do as a wallet: send raw transactions and wait for their receipts. */
final class RpcCalls {

    private RpcCalls() {}

    /** Sends a signed transaction; fails the test on a JSON-RPC error. Returns its hash. */
    static String send(Web3j web3, byte[] raw) throws Exception {
        var r = web3.ethSendRawTransaction(Numeric.toHexString(raw)).send();
        assertFalse(r.hasError(), () -> r.getError().getMessage());
        return r.getTransactionHash();
    }

    /** Polls like a wallet does; the deadline only bounds a failure, success returns as soon as the block lands. */
    static TransactionReceipt receipt(Web3j web3, String hash, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            var r = web3.ethGetTransactionReceipt(hash).send();
            assertFalse(r.hasError(), () -> r.getError().getMessage());
            if (r.getTransactionReceipt().isPresent()) return r.getTransactionReceipt().get();
            Thread.sleep(10);
        }
        return fail("no receipt for " + hash);
    }
}
