package io.flotilla.evm.trie;

import io.flotilla.evm.crypto.Keccak;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.web3j.rlp.RlpDecoder;
import org.web3j.rlp.RlpList;
import org.web3j.rlp.RlpString;
import org.web3j.rlp.RlpType;

/**
 * Checks a Merkle-Patricia proof (the node list of EIP-1186's accountProof / storageProof) against a root hash,
 * independently of how the trie was built: what a light client or a joining member does with an untrusted answer.
 */
public final class TrieProof {
    private TrieProof() {
    }

    /** A proof that does not lead from the root to an answer for the key. */
    public static final class InvalidProofException extends Exception {
        public InvalidProofException(String message) {
            super(message);
        }
    }

    /**
     * The value that {@code proof} shows under {@code key} in the trie with root {@code rootHash}: present, or
     * empty when the proof shows the key is absent. The empty trie's proof is its root node (the empty string) or,
     * as some clients send it, no node at all.
     */
    public static Optional<byte[]> verify(byte[] rootHash, byte[] key, List<byte[]> proof) throws InvalidProofException {
        if (proof.isEmpty()) {
            if (Arrays.equals(rootHash, PatriciaTrie.EMPTY_ROOT)) return Optional.empty();
            throw new InvalidProofException("empty proof for a non-empty trie");
        }
        byte[] nib = PatriciaTrie.nibbles(key);
        int pos = 0;
        int next = 0;
        byte[] wanted = rootHash;
        RlpType node = null;
        while (true) {
            if (node == null) {
                if (next >= proof.size()) throw new InvalidProofException("proof ends before the key's path does");
                byte[] enc = proof.get(next++);
                if (!Arrays.equals(Keccak.hash(enc), wanted)) throw new InvalidProofException("proof node " + (next - 1) + " does not match its hash");
                try {
                    node = RlpDecoder.decode(enc).getValues().get(0);
                } catch (RuntimeException e) {
                    throw new InvalidProofException("proof node " + (next - 1) + " is not RLP");
                }
            }
            if (node instanceof RlpString empty && empty.getBytes().length == 0 && next == 1) return Optional.empty(); // the empty trie
            if (!(node instanceof RlpList l)) throw new InvalidProofException("a proof node is not a list");
            List<RlpType> items = l.getValues();
            RlpType child;
            if (items.size() == 17) {
                if (pos == nib.length) {
                    byte[] v = str(items.get(16));
                    return v.length == 0 ? Optional.empty() : Optional.of(v);
                }
                child = items.get(nib[pos++]);
            } else if (items.size() == 2) {
                byte[] hp = str(items.get(0));
                if (hp.length == 0) throw new InvalidProofException("a proof node has an empty path");
                int flag = (hp[0] & 0xFF) >> 4;
                byte[] path = new byte[(hp.length - 1) * 2 + (flag & 1)];
                int at = 0;
                if ((flag & 1) == 1) path[at++] = (byte) (hp[0] & 0xF);
                for (int i = 1; i < hp.length; i++) {
                    path[at++] = (byte) ((hp[i] >> 4) & 0xF);
                    path[at++] = (byte) (hp[i] & 0xF);
                }
                boolean follows = nib.length - pos >= path.length && Arrays.equals(path, 0, path.length, nib, pos, pos + path.length);
                if ((flag & 2) != 0) {
                    return follows && pos + path.length == nib.length ? Optional.of(str(items.get(1))) : Optional.empty();
                }
                if (!follows) return Optional.empty();
                pos += path.length;
                child = items.get(1);
            } else {
                throw new InvalidProofException("a proof node has " + items.size() + " items");
            }
            if (child instanceof RlpList) {
                node = child; // embedded
            } else {
                byte[] ref = str(child);
                if (ref.length == 0) return Optional.empty();
                if (ref.length != 32) throw new InvalidProofException("a child reference of " + ref.length + " bytes");
                wanted = ref;
                node = null;
            }
        }
    }

    private static byte[] str(RlpType t) throws InvalidProofException {
        if (!(t instanceof RlpString s)) throw new InvalidProofException("expected an RLP string in a proof node");
        return s.getBytes();
    }
}
