package io.flotilla.chain.execution;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/** Everything block 0 is derived from. {@code alloc} prefunds accounts (typically the sidechain owner). */
public record Genesis(ChainConfig config, long timestamp, Address proposer, byte[] extraData, Map<Address, GenesisAccount> alloc) {

    /** An allocated account; code and storage allow predeployed contracts. */
    public record GenesisAccount(BigInteger balance, long nonce, byte[] code, Map<Word, Word> storage) {
        public static GenesisAccount funded(BigInteger balance) {
            return new GenesisAccount(balance, 0, new byte[0], Map.of());
        }
    }

    public Genesis {
        alloc = Map.copyOf(alloc);
    }

    /**
     * Balances only (what the node configuration carries). Timestamp 0, zero proposer and no extra data keep
     * block 0 a pure function of the configuration, so every member derives the same genesis hash.
     */
    public static Genesis of(ChainConfig config, Map<Address, BigInteger> balances) {
        Map<Address, GenesisAccount> alloc = new LinkedHashMap<>();
        balances.forEach((a, b) -> alloc.put(a, GenesisAccount.funded(b)));
        return new Genesis(config, 0, Address.of(new byte[20]), new byte[0], alloc);
    }

    /** The usual case: one owner account prefunded, zero proposer and timestamp. */
    public static Genesis of(ChainConfig config, Address owner, BigInteger ownerBalance) {
        return of(config, Map.of(owner, ownerBalance));
    }
}
