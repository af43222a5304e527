package io.flotilla.evm.trie;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.flotilla.evm.types.Hex;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Root hashes against published vectors (ethereum/tests TrieTests and the Ethereum wiki). */
class MerklePatriciaTrieTest {
    private static byte[] s(String v) {
        return v.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void emptyTrieRoot() {
        assertEquals("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
                Hex.encode(new MerklePatriciaTrie().rootHash()));
    }

    @Test
    void singleEntry() {
        // TrieTests "singleItem": A -> 50 x "a" (a leaf too long to inline)
        MerklePatriciaTrie t = new MerklePatriciaTrie();
        t.put(s("A"), s("a".repeat(50)));
        assertEquals("0xd23786fb4a010da3ce639d66d5e904a11dbc02746d1ce25029e53290cabf28ab", Hex.encode(t.rootHash()));
    }

    @Test
    void dogsExampleWithExtensionsBranchesAndLeaves() {
        // TrieTests "dogs": doe, dog, dogglesworth
        MerklePatriciaTrie t = new MerklePatriciaTrie();
        t.put(s("doe"), s("reindeer"));
        t.put(s("dog"), s("puppy"));
        t.put(s("dogglesworth"), s("cat"));
        assertEquals("0x8aad789dff2f538bca5d8ea56e8abe10f4c7ba3a5dea95fea4cd6e7c3a1168d3", Hex.encode(t.rootHash()));
    }

    @Test
    void puppyExampleWithValueInBranch() {
        // TrieTests "puppy": do, horse, doge, dog
        MerklePatriciaTrie t = new MerklePatriciaTrie();
        t.put(s("do"), s("verb"));
        t.put(s("horse"), s("stallion"));
        t.put(s("doge"), s("coin"));
        t.put(s("dog"), s("puppy"));
        assertEquals("0x5991bb8c6514148a29db676a14ac506cd2cd5775ace63c30a4fe457715e9ac84", Hex.encode(t.rootHash()));
    }

    @Test
    void insertionOrderDoesNotMatterAndEmptyValueDeletes() {
        MerklePatriciaTrie a = new MerklePatriciaTrie();
        a.put(s("dog"), s("puppy"));
        a.put(s("do"), s("verb"));
        MerklePatriciaTrie b = new MerklePatriciaTrie();
        b.put(s("do"), s("verb"));
        b.put(s("cat"), s("x"));
        b.put(s("dog"), s("puppy"));
        assertFalse(Arrays.equals(a.rootHash(), b.rootHash()));
        b.put(s("cat"), new byte[0]);
        assertArrayEquals(a.rootHash(), b.rootHash());
    }
}
