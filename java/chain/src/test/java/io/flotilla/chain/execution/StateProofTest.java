package io.flotilla.chain.execution;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.storage.Block;
import io.flotilla.chain.storage.BlockHeader;
import io.flotilla.chain.storage.ChainStore;
import io.flotilla.chain.storage.StateDiff;
import io.flotilla.evm.crypto.Keccak;
import io.flotilla.evm.rlp.Rlp;
import io.flotilla.evm.state.Account;
import io.flotilla.evm.state.StateRoot;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.trie.PatriciaTrie;
import io.flotilla.evm.trie.TrieProof;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Proofs at the head and at every block of the kept window, after random blocks that create, update, self-destruct
 * and re-create accounts and write, zero and clear storage: each verifies against that block's header and shows that
 * block's values; rebuilding an older block's tries is limited to one at a time.
 */
class StateProofTest {
    private static final Address PROPOSER = Address.fromHex("0x00000000000000000000000000000000000000b0");

    @TempDir
    Path dir;

    private ChainState chain;
    private ChainStore store;

    @org.junit.jupiter.api.AfterEach
    void close() {
        if (store != null) store.close();
    }
    private final Address[] pool = new Address[40];

    private void build(int blocks, long seed) {
        for (int i = 0; i < pool.length; i++) pool[i] = Address.of(java.util.Arrays.copyOf(new byte[] {(byte) (i + 1), 0x5e}, 20));
        Map<Address, Genesis.GenesisAccount> alloc = new java.util.HashMap<>();
        for (int i = 0; i < 15; i++) {
            Map<Word, Word> slots = new java.util.HashMap<>();
            if (i % 3 == 0) for (int k = 0; k < 20; k++) slots.put(Word.of(k), Word.of(k + 1));
            alloc.put(pool[i], new Genesis.GenesisAccount(BigInteger.valueOf(1000 + i), i, i % 3 == 0 ? new byte[] {0x60, (byte) i} : new byte[0], slots));
        }
        Genesis genesis = new Genesis(new ChainConfig(31_337_016L, ChainConfig.DEFAULT_GAS_LIMIT, BigInteger.ONE), 1_700_000_000L, PROPOSER, new byte[0], alloc);
        store = ChainStore.open(dir);
        chain = ChainState.open(store, genesis);
        Random rnd = new Random(seed);
        for (int b = 1; b <= blocks; b++) {
            int number = b;
            StateDiff diff = chain.read(s -> StateTriesTest.randomDiff(rnd, pool, s, number));
            byte[] root = chain.read(s -> {
                OverlayWorldState after = new OverlayWorldState(s);
                OverlayWorldState.applyTo(after, diff);
                return chain.stateTries().update(after, diff).root();
            });
            BlockHeader parent = chain.head();
            BlockHeader h = new BlockHeader(parent.hash(), b, parent.timestamp() + 1, root, PatriciaTrie.EMPTY_ROOT.clone(),
                    PatriciaTrie.EMPTY_ROOT.clone(), new byte[256], parent.gasLimit(), 0, parent.baseFeePerGas(), PROPOSER, new byte[0], new byte[0]);
            chain.commit(new ExecutedBlock(new Block(h, List.of()), List.of(), diff));
        }
    }

    @Test
    void proofsAtEveryKeptBlockVerifyAgainstItsHeaderAndShowItsValues() throws Exception {
        build(40, 7);
        List<Word> keys = new ArrayList<>();
        for (int k = 0; k < 42; k += 3) keys.add(Word.of(k));
        for (long n = 0; n <= chain.head().number(); n++) {
            byte[] stateRoot = chain.header(n).orElseThrow().stateRoot();
            WorldState at = chain.stateAt(n).orElseThrow();
            assertArrayEquals(stateRoot, StateRoot.compute(at), "the history's view of block " + n);
            for (Address a : pool) {
                ChainState.AccountProof p = chain.proof(n, a, keys).orElseThrow();
                Optional<byte[]> leaf = TrieProof.verify(stateRoot, Keccak.hash(a.toArray()), p.accountProof());
                Account acc = at.account(a);
                assertEquals(acc != null, leaf.isPresent(), a + " at block " + n);
                if (acc == null) continue;
                List<RlpType> fields = Rlp.decodeList(leaf.get());
                assertEquals(acc.nonce(), p.nonce());
                assertEquals(acc.balance(), p.balance());
                assertEquals(BigInteger.valueOf(acc.nonce()), new BigInteger(1, ((RlpString) fields.get(0)).getBytes()));
                assertArrayEquals(((RlpString) fields.get(2)).getBytes(), p.storageHash());
                assertArrayEquals(acc.codeHash(), p.codeHash());
                for (ChainState.SlotProof sp : p.storage()) {
                    Optional<byte[]> v = TrieProof.verify(p.storageHash(), Keccak.hash(sp.key().toBytes()), sp.proof());
                    Word expected = at.storage(a, sp.key());
                    assertEquals(expected, sp.value(), a + " slot " + sp.key() + " at block " + n);
                    assertEquals(!expected.isZero(), v.isPresent());
                }
            }
        }
    }

    @Test
    void rebuildingAnOlderBlocksTriesRunsOneAtATimeWhileTheHeadStaysFree() throws Exception {
        build(5, 3);
        long head = chain.head().number();
        chain.historicalProofPermits().acquire();
        try {
            assertThrows(ChainState.ProofBusy.class, () -> chain.proof(head - 2, pool[0], List.of()));
            assertTrue(chain.proof(head, pool[0], List.of()).isPresent(), "the head's proof needs no rebuild");
        } finally {
            chain.historicalProofPermits().release();
        }
        assertTrue(chain.proof(head - 2, pool[0], List.of()).isPresent());
        assertTrue(chain.proof(head + 1, pool[0], List.of()).isEmpty(), "beyond the head");
    }
}
