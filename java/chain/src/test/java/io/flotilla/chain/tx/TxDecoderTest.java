package io.flotilla.chain.tx;

import static io.flotilla.chain.tx.TestTxs.ALICE;
import static io.flotilla.chain.tx.TestTxs.BOB;
import static io.flotilla.chain.tx.TestTxs.CHAIN_ID;
import static io.flotilla.chain.tx.TestTxs.GWEI;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.flotilla.chain.tx.InvalidTransactionException.Reason;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.AccessListObject;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.crypto.Sign;
import org.web3j.crypto.TransactionEncoder;
import org.web3j.utils.Numeric;

class TxDecoderTest {
    private final TxDecoder decoder = new TxDecoder(CHAIN_ID, true);

    @Test
    void legacyEip155TransferDecodesWithWalletHashAndSender() throws Exception {
        byte[] raw = TestTxs.legacy(ALICE, CHAIN_ID, 7, GWEI.multiply(BigInteger.TWO), 21_000, BOB.getAddress(), BigInteger.valueOf(12345), "");
        SignedTransaction tx = decoder.decode(raw);

        assertEquals(Hash.sha3(Numeric.toHexString(raw)), tx.hashHex(), "hash is what web3j computes for the same bytes");
        assertEquals(TestTxs.address(ALICE), tx.sender());
        assertEquals(0, tx.type());
        assertEquals(CHAIN_ID, tx.chainId());
        assertEquals(7, tx.nonce());
        assertEquals(GWEI.multiply(BigInteger.TWO), tx.gasPrice());
        assertEquals(21_000, tx.gasLimit());
        assertEquals(TestTxs.address(BOB), tx.to());
        assertEquals(BigInteger.valueOf(12345), tx.value());
        // EIP-155: v = chainId * 2 + 35 + yParity
        assertTrue(tx.v().longValue() == CHAIN_ID * 2 + 35 || tx.v().longValue() == CHAIN_ID * 2 + 36);
    }

    @Test
    void unprotectedLegacyIsAcceptedOnlyWhenAllowed() throws Exception {
        RawTransaction raw = RawTransaction.createEtherTransaction(BigInteger.ZERO, GWEI, BigInteger.valueOf(21_000), BOB.getAddress(), BigInteger.ONE);
        byte[] signed = TransactionEncoder.signMessage(raw, ALICE);

        SignedTransaction tx = decoder.decode(signed);
        assertNull(tx.chainId());
        assertEquals(TestTxs.address(ALICE), tx.sender());

        var e = assertThrows(InvalidTransactionException.class, () -> new TxDecoder(CHAIN_ID, false).decode(signed));
        assertEquals(Reason.UNPROTECTED, e.reason());
    }

    @Test
    void eip1559ContractCreationDecodes() throws Exception {
        byte[] raw = TestTxs.eip1559(ALICE, CHAIN_ID, 3, 100_000, null, BigInteger.ZERO, "0x6001600155", GWEI, GWEI.multiply(BigInteger.valueOf(3)));
        SignedTransaction tx = decoder.decode(raw);

        assertEquals(2, tx.type());
        assertEquals(Hash.sha3(Numeric.toHexString(raw)), tx.hashHex());
        assertEquals(TestTxs.address(ALICE), tx.sender());
        assertTrue(tx.isCreate());
        assertArrayEquals(Numeric.hexStringToByteArray("0x6001600155"), tx.data());
        assertEquals(GWEI, tx.maxPriorityFeePerGas());
        assertEquals(GWEI.multiply(BigInteger.valueOf(3)), tx.maxFeePerGas());
        assertEquals(GWEI.multiply(BigInteger.TWO), tx.effectiveGasPrice(GWEI), "min(maxFee, baseFee + tip)");
        assertEquals(3, tx.toEvm().nonce());
    }

    @Test
    void eip2930AccessListDecodes() throws Exception {
        String slot = "0x" + "00".repeat(31) + "05";
        List<AccessListObject> al = List.of(new AccessListObject(BOB.getAddress(), List.of(slot)));
        byte[] raw = TestTxs.eip2930(ALICE, CHAIN_ID, 0, GWEI, 50_000, BOB.getAddress(), BigInteger.TEN, "0x", al);
        SignedTransaction tx = decoder.decode(raw);

        assertEquals(1, tx.type());
        assertEquals(Hash.sha3(Numeric.toHexString(raw)), tx.hashHex());
        assertEquals(TestTxs.address(ALICE), tx.sender());
        assertEquals(1, tx.accessList().size());
        assertEquals(TestTxs.address(BOB), tx.accessList().get(0).address());
        assertEquals(List.of(Word.of(5)), tx.accessList().get(0).storageKeys());
    }

    @Test
    void everyTypeSignedForAnotherChainIsRejectedAsWrongChain() {
        long other = CHAIN_ID + 1;
        List<byte[]> foreign = List.of(
                TestTxs.legacy(ALICE, other, 0, GWEI, 21_000, BOB.getAddress(), BigInteger.ONE, ""),
                TestTxs.eip2930(ALICE, other, 0, GWEI, 21_000, BOB.getAddress(), BigInteger.ONE, "0x", List.of()),
                TestTxs.eip1559(ALICE, other, 0, 21_000, BOB.getAddress(), BigInteger.ONE, "0x", GWEI, GWEI));
        for (byte[] raw : foreign) {
            var e = assertThrows(InvalidTransactionException.class, () -> decoder.decode(raw));
            assertEquals(Reason.WRONG_CHAIN_ID, e.reason());
            assertTrue(e.getMessage().startsWith("invalid chain id for signer"), e.getMessage());
        }
    }

    @Test
    void outOfRangeOrHighSignatureValuesAreRejectedAsInvalidSignature() {
        RawTransaction raw = RawTransaction.createEtherTransaction(1L, BigInteger.ZERO, BigInteger.valueOf(21_000), BOB.getAddress(),
                BigInteger.ONE, GWEI, GWEI);
        // r must lie in [1, n): the curve order itself is out of range.
        Sign.SignatureData rOutOfRange = new Sign.SignatureData((byte) 27, Numeric.toBytesPadded(io.flotilla.evm.crypto.Secp256k1.N, 32),
                Numeric.toBytesPadded(BigInteger.ONE, 32));
        byte[] rOutOfRangeRaw = TransactionEncoder.encode(raw, rOutOfRange);
        var e = assertThrows(InvalidTransactionException.class, () -> new TxDecoder(1, true).decode(rOutOfRangeRaw));
        assertEquals(Reason.INVALID_SIGNATURE, e.reason());

        // A valid signature turned into its malleable twin (s -> n - s) is refused (EIP-2).
        byte[] good = TransactionEncoder.signMessage(raw, ALICE);
        var decoded = assertDoesNotThrow(() -> new TxDecoder(1, true).decode(good));
        BigInteger highS = io.flotilla.evm.crypto.Secp256k1.N.subtract(decoded.s());
        Sign.SignatureData twin = new Sign.SignatureData((byte) (27 + (decoded.v().intValue() ^ 1)),
                Numeric.toBytesPadded(decoded.r(), 32), Numeric.toBytesPadded(highS, 32));
        byte[] twinRaw = TransactionEncoder.encode(raw, twin);
        var e2 = assertThrows(InvalidTransactionException.class, () -> new TxDecoder(1, true).decode(twinRaw));
        assertEquals(Reason.INVALID_SIGNATURE, e2.reason());
    }

    @Test
    void garbageAndUnknownTypesAreNamed() {
        byte[] good = TestTxs.transfer(ALICE, 0, BOB.getAddress(), BigInteger.ONE);
        assertEquals(Reason.MALFORMED, assertThrows(InvalidTransactionException.class, () -> decoder.decode(new byte[0])).reason());
        assertEquals(Reason.MALFORMED, assertThrows(InvalidTransactionException.class,
                () -> decoder.decode(Arrays.copyOf(good, good.length - 3))).reason(), "truncated");
        assertEquals(Reason.MALFORMED, assertThrows(InvalidTransactionException.class,
                () -> decoder.decode(Arrays.copyOf(good, good.length + 1))).reason(), "trailing byte");
        assertEquals(Reason.UNSUPPORTED_TYPE, assertThrows(InvalidTransactionException.class,
                () -> decoder.decode(new byte[] {3, (byte) 0xC0})).reason());
    }

    @Test
    void trustedDecodingSkipsRecoveryButKeepsEverythingElse() throws Exception {
        byte[] raw = TestTxs.transfer(ALICE, 4, BOB.getAddress(), BigInteger.TWO);
        SignedTransaction checked = decoder.decode(raw);
        SignedTransaction trusted = decoder.decodeTrusted(raw, checked.sender());
        assertEquals(checked.hashHex(), trusted.hashHex());
        assertEquals(checked.sender(), trusted.sender());
        assertEquals(checked.nonce(), trusted.nonce());
        assertEquals(Address.fromHex(BOB.getAddress()), trusted.to());
    }

    private static <T> T assertDoesNotThrow(org.junit.jupiter.api.function.ThrowingSupplier<T> s) {
        return org.junit.jupiter.api.Assertions.assertDoesNotThrow(s);
    }
}
