package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.ConsensusMessage.Precommit;
import io.flotilla.chain.consensus.ConsensusMessage.Prevote;
import io.flotilla.chain.consensus.ConsensusMessage.Proposal;
import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.chain.consensus.sim.SimApplication;
import io.flotilla.evm.crypto.Secp256k1;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MessageSigningTest {
    private static final ProposedBlock BLOCK = SimApplication.block(5, "x");
    private static final NodeKey KEY = Cluster.key(0);

    @Test
    void theSignerIsRecoveredFromTheSignature() {
        SignedMessage m = SignedMessage.sign(1, new Prevote(5, 0, Optional.of(BLOCK.hash())), KEY);
        assertEquals(Optional.of(KEY.address()), m.recoverSigner());
    }

    @Test
    void signaturesAreDeterministicAndLowS() {
        Prevote vote = new Prevote(5, 0, Optional.empty());
        Signature a = SignedMessage.sign(1, vote, KEY).signature();
        assertEquals(a, SignedMessage.sign(1, vote, KEY).signature());
        assertTrue(a.s().compareTo(Secp256k1.N.shiftRight(1)) <= 0);
    }

    @Test
    void aSignatureMadeForOneChainDoesNotVerifyOnAnother() {
        Precommit vote = new Precommit(5, 0, Optional.of(BLOCK.hash()));
        SignedMessage original = SignedMessage.sign(1, vote, KEY);
        SignedMessage replayed = new SignedMessage(2, vote, original.signature());
        assertNotEquals(Optional.of(KEY.address()), replayed.recoverSigner());
    }

    @Test
    void theSignedBytesDistinguishMessageKinds() {
        assertFalse(java.util.Arrays.equals(
                MessageCodec.signingDigest(1, new Prevote(5, 0, Optional.of(BLOCK.hash()))),
                MessageCodec.signingDigest(1, new Precommit(5, 0, Optional.of(BLOCK.hash())))));
    }

    @Test
    void theHighSTwinOfASignatureIsRejected() {
        SignedMessage m = SignedMessage.sign(1, new Prevote(5, 0, Optional.empty()), KEY);
        Signature s = m.signature();
        Signature twin = new Signature(s.r(), Secp256k1.N.subtract(s.s()), 1 - s.recId());
        assertTrue(twin.recover(m.digest()).isEmpty());
    }

    @Test
    void theWireEncodingRoundTripsEveryMessageKind() {
        for (ConsensusMessage msg : new ConsensusMessage[] {
                new Proposal(5, 2, BLOCK, -1), new Proposal(5, 3, BLOCK, 1),
                new Prevote(5, 0, Optional.of(BLOCK.hash())), new Precommit(9, 4, Optional.empty())}) {
            SignedMessage m = SignedMessage.sign(1, msg, KEY);
            SignedMessage back = MessageCodec.decode(MessageCodec.encode(m));
            assertEquals(m, back);
            assertEquals(Optional.of(KEY.address()), back.recoverSigner());
        }
    }

    @Test
    void malformedWireBytesAreRejectedWithIllegalArgument() {
        assertThrows(IllegalArgumentException.class, () -> MessageCodec.decode(new byte[] {1, 2, 3}));
        assertThrows(IllegalArgumentException.class, () -> MessageCodec.decode(new byte[] {(byte) 0xc1, 0x01}));
    }

    @Test
    void signatureBytesRoundTrip() {
        Signature s = SignedMessage.sign(1, new Prevote(5, 0, Optional.empty()), KEY).signature();
        assertEquals(s, Signature.fromBytes(s.toBytes()));
        assertArrayEquals(s.toBytes(), Signature.fromBytes(s.toBytes()).toBytes());
    }
}
