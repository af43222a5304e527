package io.flotilla.chain.consensus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.consensus.sim.Cluster;
import io.flotilla.evm.types.Address;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MemberSetTest {

    private static MemberSet ofSize(int n) {
        return new MemberSet(IntStream.range(0, n).mapToObj(Cluster::address).toList());
    }

    @ParameterizedTest(name = "n={0}: f={1}, quorum={2}")
    @CsvSource({"1,0,1", "2,0,2", "3,0,2", "4,1,3", "5,1,4", "6,1,4", "7,2,5", "8,2,6", "9,2,6", "10,3,7", "16,5,11"})
    void toleratesOneThirdAndTwoQuorumsAlwaysShareAnHonestMember(int n, int f, int quorum) {
        MemberSet set = ofSize(n);
        assertEquals(f, set.maxFaulty());
        assertEquals(quorum, set.quorum());
        assertEquals(f + 1, set.honestWitness());
        assertTrue(2 * quorum - n > f, "two quorums overlap in more than f members");
        assertTrue(2 * (quorum - 1) - n <= f, "and it is the smallest such quorum");
        assertTrue(n - quorum >= f, "f crashed members do not stop the others");
    }

    @Test
    void theProposerRotatesRoundRobinOffsetByHeight() {
        MemberSet set = ofSize(4);
        List<Address> m = set.members();
        assertEquals(m.get(1), set.proposer(1, 0));
        assertEquals(m.get(2), set.proposer(1, 1));
        assertEquals(m.get(2), set.proposer(2, 0));
        assertEquals(m.get(0), set.proposer(2, 2));
        assertEquals(m.get(3), set.proposer(Long.MAX_VALUE, 0), "no overflow at extreme heights");
    }

    @Test
    void membershipIsByAddress() {
        MemberSet set = ofSize(4);
        assertTrue(set.contains(Cluster.address(3)));
        assertFalse(set.contains(Cluster.address(4)));
    }

    @Test
    void anEmptyOrDuplicatedSetIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MemberSet(List.of()));
        assertThrows(IllegalArgumentException.class, () -> MemberSet.of(Cluster.address(1), Cluster.address(1)));
    }
}
