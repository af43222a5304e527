package io.flotilla.chain.rpc;

import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.ETHER;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static io.flotilla.chain.tx.TestTxs.OWNER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.flotilla.chain.execution.ChainConfig;
import io.flotilla.chain.execution.Genesis;
import io.flotilla.chain.execution.TestContract;
import io.flotilla.chain.tx.TestTxs;
import io.flotilla.evm.types.Address;
import io.reactivex.disposables.Disposable;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Polling filters over HTTP, as ethers' JsonRpcProvider (contract.on) and web3j's flowables use them: found missing
 * by the client compatibility checks.
 */
class FilterEndToEndTest {
    private static final String TOPIC = "0x" + "00".repeat(31) + "aa";

    @TempDir
    Path dataDir;

    private static TransactionReceipt mined(Web3j web3, byte[] raw) throws Exception {
        return RpcCalls.receipt(web3, RpcCalls.send(web3, raw), java.time.Duration.ofSeconds(15));
    }

    @Test
    void web3jPollsBlockAndLogFilters() throws Exception {
        Genesis genesis = Genesis.of(new ChainConfig(CHAIN_ID, ChainConfig.DEFAULT_GAS_LIMIT, GWEI), TestTxs.address(OWNER), ETHER);
        ScheduledExecutorService poller = Executors.newScheduledThreadPool(2);
        try (DevNode node = DevNode.start(dataDir, genesis, Address.fromHex("0x00000000000000000000000000000000000000b0"), RpcConfig.loopback(0))) {
            Web3j web3 = Web3j.build(new HttpService(node.url()), 50, poller);
            String contract = mined(web3, TestTxs.legacy(OWNER, CHAIN_ID, 0, GWEI, 200_000, null, BigInteger.ZERO, "0x" + TestContract.INIT))
                    .getContractAddress();

            BigInteger blockFilter = web3.ethNewBlockFilter().send().getFilterId();
            EthFilter criteria = new EthFilter(DefaultBlockParameterName.EARLIEST, DefaultBlockParameterName.LATEST, contract).addSingleTopic(TOPIC);
            BigInteger logFilter = web3.ethNewFilter(criteria).send().getFilterId();
            BlockingQueue<Log> flowed = new LinkedBlockingQueue<>();
            BlockingQueue<Throwable> flowErrors = new LinkedBlockingQueue<>();
            Disposable flow = web3.ethLogFlowable(criteria).subscribe(flowed::add, flowErrors::add);

            TransactionReceipt first = mined(web3, TestTxs.legacy(OWNER, CHAIN_ID, 1, GWEI, 100_000, contract, BigInteger.ZERO, TestTxs.word(5)));
            TransactionReceipt second = mined(web3, TestTxs.legacy(OWNER, CHAIN_ID, 2, GWEI, 100_000, contract, BigInteger.ZERO, TestTxs.word(6)));

            List<EthLog.LogResult> hashes = web3.ethGetFilterChanges(blockFilter).send().getLogs();
            assertEquals(List.of(first.getBlockHash(), second.getBlockHash()), hashes.stream().map(h -> (String) h.get()).toList());
            assertTrue(web3.ethGetFilterChanges(blockFilter).send().getLogs().isEmpty(), "each block once");

            List<EthLog.LogResult> logs = web3.ethGetFilterChanges(logFilter).send().getLogs();
            assertEquals(2, logs.size());
            assertEquals(TestTxs.word(5), ((Log) logs.get(0).get()).getData());
            assertEquals(second.getTransactionHash(), ((Log) logs.get(1).get()).getTransactionHash());
            assertTrue(web3.ethGetFilterChanges(logFilter).send().getLogs().isEmpty());
            assertEquals(2, web3.ethGetFilterLogs(logFilter).send().getLogs().size(), "eth_getFilterLogs: the whole range again");

            Log viaFlowable = flowed.poll(10, TimeUnit.SECONDS);
            assertNotNull(viaFlowable, () -> "web3j's ethLogFlowable saw nothing; errors: " + flowErrors);
            assertEquals(first.getTransactionHash(), viaFlowable.getTransactionHash());
            flow.dispose();

            assertTrue(web3.ethUninstallFilter(logFilter).send().isUninstalled());
            assertFalse(web3.ethUninstallFilter(logFilter).send().isUninstalled());
            var gone = web3.ethGetFilterChanges(logFilter).send();
            assertTrue(gone.hasError());
            assertEquals(-32000, gone.getError().getCode());
            assertEquals("filter not found", gone.getError().getMessage());
            web3.shutdown();
        } finally {
            poller.shutdownNow();
        }
    }
}
