package io.flotilla.evm.vm;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.function.LongFunction;

/** Block-level inputs visible to the EVM. {@code blockHashes} maps a block number to its hash. */
public record BlockEnv(
        Address coinbase,
        long number,
        long timestamp,
        long gasLimit,
        Word baseFee,
        Word prevRandao,
        long chainId,
        long excessBlobGas,
        LongFunction<Word> blockHashes) {

    private static final BigInteger MIN_BLOB_BASE_FEE = BigInteger.ONE;
    private static final BigInteger BLOB_BASE_FEE_UPDATE_FRACTION = BigInteger.valueOf(3338477);

    /** EIP-4844 blob base fee: fake_exponential(1, excess, 3338477). */
    public Word blobBaseFee() {
        return Word.fromBigInteger(fakeExponential(MIN_BLOB_BASE_FEE, BigInteger.valueOf(excessBlobGas), BLOB_BASE_FEE_UPDATE_FRACTION));
    }

    static BigInteger fakeExponential(BigInteger factor, BigInteger numerator, BigInteger denominator) {
        BigInteger i = BigInteger.ONE;
        BigInteger output = BigInteger.ZERO;
        BigInteger acc = factor.multiply(denominator);
        while (acc.signum() > 0) {
            output = output.add(acc);
            acc = acc.multiply(numerator).divide(denominator.multiply(i));
            i = i.add(BigInteger.ONE);
        }
        return output.divide(denominator);
    }
}
