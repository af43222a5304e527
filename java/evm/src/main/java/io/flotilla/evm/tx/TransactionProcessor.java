package io.flotilla.evm.tx;

import io.flotilla.evm.precompile.Precompiles;
import io.flotilla.evm.state.AccessSets;
import io.flotilla.evm.state.Journal;
import io.flotilla.evm.state.JournaledState;
import io.flotilla.evm.state.Substate;
import io.flotilla.evm.state.TransientStorage;
import io.flotilla.evm.state.WorldState;
import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;
import io.flotilla.evm.vm.BlockEnv;
import io.flotilla.evm.vm.ContractAddress;
import io.flotilla.evm.vm.Evm;
import io.flotilla.evm.vm.ExecutionInterrupted;
import io.flotilla.evm.vm.FrameResult;
import io.flotilla.evm.vm.Gas;
import io.flotilla.evm.vm.HaltReason;
import io.flotilla.evm.vm.JumpDestCache;
import io.flotilla.evm.vm.Message;
import io.flotilla.evm.vm.Tracer;
import io.flotilla.evm.vm.TxContext;
import java.math.BigInteger;
import java.util.List;

/**
 * Validates and applies one transaction to a world state under Cancun rules. Nothing thrown while a
 * transaction runs leaves {@link #process}: an error is turned into {@link TxRejection#EXECUTION_FAILED}
 * after the world state has been rolled back to before the transaction. The one exception is
 * {@link ExecutionInterrupted} (the thread was interrupted, e.g. an eth_call timeout): the state is rolled
 * back the same way and the exception is rethrown.
 */
public final class TransactionProcessor {
    static final long TX_BASE = 21000;
    static final long TX_CREATE = 32000;
    static final long TX_DATA_ZERO = 4;
    static final long TX_DATA_NON_ZERO = 16;
    static final long ACCESS_LIST_ADDRESS = 2400;
    static final long ACCESS_LIST_STORAGE_KEY = 1900;
    static final long GAS_PER_BLOB = 1L << 17;
    static final int MAX_BLOBS_PER_BLOCK = 6;
    private static final long NONCE_MAX = -1L; // 2^64 - 1 as an unsigned long

    private final Precompiles precompiles = Precompiles.cancun();
    private final JumpDestCache jumpDests = new JumpDestCache();

    /** EIP-2028/2930/3860 intrinsic gas. */
    public static long intrinsicGas(Transaction tx) {
        long gas = TX_BASE;
        for (byte b : tx.data()) gas += b == 0 ? TX_DATA_ZERO : TX_DATA_NON_ZERO;
        if (tx.isCreate()) gas += TX_CREATE + Gas.INIT_CODE_WORD * Gas.words(tx.data().length);
        for (AccessListEntry e : tx.accessList()) {
            gas += ACCESS_LIST_ADDRESS + ACCESS_LIST_STORAGE_KEY * e.storageKeys().size();
        }
        return gas;
    }

    private static TxOutcome reject(TxRejection r, String detail) {
        return new TxOutcome.Rejected(r, detail);
    }

    public TxOutcome process(WorldState world, BlockEnv block, Transaction tx) {
        return run(world, block, tx, new FrameResult[1], null);
    }

    /**
     * Same as {@link #process} but also hands back the top-level frame's output (return data, or revert data
     * on failure); JSON-RPC's eth_call needs it and receipts do not carry it.
     */
    public TxExecution processWithOutput(WorldState world, BlockEnv block, Transaction tx) {
        return processWithOutput(world, block, tx, null);
    }

    /** As {@link #processWithOutput(WorldState, BlockEnv, Transaction)}, reporting every frame and step to {@code tracer}. */
    public TxExecution processWithOutput(WorldState world, BlockEnv block, Transaction tx, Tracer tracer) {
        FrameResult[] top = new FrameResult[1];
        TxOutcome outcome = run(world, block, tx, top, tracer);
        return top[0] == null ? new TxExecution(outcome, new byte[0], null) : new TxExecution(outcome, top[0].output(), top[0].error());
    }

    /**
     * Validation, then execution; whatever is thrown on the way is contained here. The journal records every
     * write to the world state from the nonce increment on, so undoing all of it restores the state exactly.
     */
    private TxOutcome run(WorldState world, BlockEnv block, Transaction tx, FrameResult[] outputSink, Tracer tracer) {
        Journal journal = new Journal();
        try {
            return validateAndExecute(world, block, tx, journal, outputSink, tracer);
        } catch (ExecutionInterrupted e) {
            // Callers use a thread interrupt as a timeout (eth_call) and expect this exception; the state is restored.
            rollBack(journal);
            outputSink[0] = null;
            throw e;
        } catch (Throwable t) {
            // A bug, a failing world state or an exhausted heap or stack must not stop the caller (a block
            // producer): the transaction is rejected as if it had never run.
            String rollbackFailure = rollBack(journal);
            outputSink[0] = null;
            String detail = t.getClass().getName() + ": " + t.getMessage();
            if (rollbackFailure != null) detail += "; the world state could not be fully restored: " + rollbackFailure;
            return reject(TxRejection.EXECUTION_FAILED, detail);
        }
    }

    /**
     * Undoes every journaled write; null when that worked, else the first error. An undo that throws is skipped
     * (it has already left the journal) and the rest are still applied.
     */
    private static String rollBack(Journal journal) {
        String failure = null;
        while (journal.snapshot() > 0) {
            try {
                journal.revertTo(0);
            } catch (Throwable t) {
                if (failure == null) failure = t.getClass().getName() + ": " + t.getMessage();
            }
        }
        return failure;
    }

    private TxOutcome validateAndExecute(WorldState world, BlockEnv block, Transaction tx, Journal journal,
                                         FrameResult[] outputSink, Tracer tracer) {
        // Every rejection happens here, before the first write (the nonce increment in execute).
        if (tx.type() < 0 || tx.type() > 3) return reject(TxRejection.UNSUPPORTED_TYPE, "type " + tx.type());
        long intrinsic = intrinsicGas(tx);
        if (BigInteger.valueOf(intrinsic).compareTo(tx.gasLimit()) > 0) {
            return reject(TxRejection.INTRINSIC_GAS_TOO_LOW, intrinsic + " > " + tx.gasLimit());
        }
        if (tx.nonce() == NONCE_MAX) return reject(TxRejection.NONCE_IS_MAX, "nonce 2^64-1");
        if (tx.isCreate() && tx.data().length > Gas.MAX_INITCODE_SIZE) {
            return reject(TxRejection.INITCODE_SIZE_EXCEEDED, tx.data().length + " bytes");
        }
        if (tx.gasLimit().compareTo(new BigInteger(Long.toUnsignedString(block.gasLimit()))) > 0) {
            return reject(TxRejection.GAS_ALLOWANCE_EXCEEDED, tx.gasLimit() + " > block " + block.gasLimit());
        }
        if (tx.gasLimit().bitLength() > 63) {
            return reject(TxRejection.GAS_ALLOWANCE_EXCEEDED, "gas limit does not fit this implementation: " + tx.gasLimit());
        }
        long gasLimit = tx.gasLimit().longValueExact();
        BigInteger baseFee = block.baseFee().toBigInteger();
        BigInteger effectivePrice;
        BigInteger maxGasFee;
        if (tx.type() >= 2) {
            if (tx.maxFeePerGas().compareTo(tx.maxPriorityFeePerGas()) < 0) {
                return reject(TxRejection.PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS, "");
            }
            if (tx.maxFeePerGas().compareTo(baseFee) < 0) return reject(TxRejection.INSUFFICIENT_MAX_FEE_PER_GAS, "");
            effectivePrice = tx.maxFeePerGas().min(baseFee.add(tx.maxPriorityFeePerGas()));
            maxGasFee = tx.gasLimit().multiply(tx.maxFeePerGas());
        } else {
            if (tx.gasPrice().compareTo(baseFee) < 0) return reject(TxRejection.INSUFFICIENT_MAX_FEE_PER_GAS, "");
            effectivePrice = tx.gasPrice();
            maxGasFee = tx.gasLimit().multiply(tx.gasPrice());
        }
        BigInteger blobGasFee = BigInteger.ZERO;
        if (tx.type() == 3) {
            if (tx.isCreate()) return reject(TxRejection.TYPE_3_TX_CONTRACT_CREATION, "");
            List<Word> hashes = tx.blobVersionedHashes();
            if (hashes.isEmpty()) return reject(TxRejection.TYPE_3_TX_ZERO_BLOBS, "");
            for (Word h : hashes) {
                if ((h.l3() >>> 56) != 0x01) return reject(TxRejection.TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH, h.toString());
            }
            if (hashes.size() > MAX_BLOBS_PER_BLOCK) return reject(TxRejection.TYPE_3_TX_BLOB_COUNT_EXCEEDED, "" + hashes.size());
            BigInteger blobBaseFee = block.blobBaseFee().toBigInteger();
            if (tx.maxFeePerBlobGas().compareTo(blobBaseFee) < 0) {
                return reject(TxRejection.INSUFFICIENT_MAX_FEE_PER_BLOB_GAS, "");
            }
            BigInteger blobGas = BigInteger.valueOf(GAS_PER_BLOB * hashes.size());
            maxGasFee = maxGasFee.add(blobGas.multiply(tx.maxFeePerBlobGas()));
            blobGasFee = blobGas.multiply(blobBaseFee);
        }
        Address sender = tx.sender();
        JournaledState peek = new JournaledState(world, new Journal());
        if (peek.nonce(sender) != tx.nonce()) {
            return reject(TxRejection.NONCE_MISMATCH, "account " + Long.toUnsignedString(peek.nonce(sender)) + " tx " + Long.toUnsignedString(tx.nonce()));
        }
        if (peek.balance(sender).toBigInteger().compareTo(maxGasFee.add(tx.value())) < 0) {
            return reject(TxRejection.INSUFFICIENT_ACCOUNT_FUNDS, "");
        }
        if (peek.code(sender).length != 0) return reject(TxRejection.SENDER_NOT_EOA, "");
        return execute(world, block, tx, journal, gasLimit, intrinsic, effectivePrice, blobGasFee, outputSink, tracer);
    }

    private TxOutcome execute(WorldState world, BlockEnv block, Transaction tx, Journal journal, long gasLimit,
                              long intrinsic, BigInteger effectivePrice, BigInteger blobGasFee, FrameResult[] outputSink,
                              Tracer tracer) {
        JournaledState state = new JournaledState(world, journal);
        AccessSets access = new AccessSets(journal);
        TransientStorage transientStorage = new TransientStorage(journal);
        Substate substate = new Substate(journal);
        Address sender = tx.sender();

        state.incrementNonce(sender);
        BigInteger upfront = BigInteger.valueOf(gasLimit).multiply(effectivePrice).add(blobGasFee);
        state.subBalance(sender, Word.fromBigInteger(upfront));

        Address target = tx.isCreate() ? ContractAddress.create(sender, tx.nonce()) : tx.to();
        access.warm(block.coinbase());
        access.warm(sender);
        access.warm(target);
        for (Address p : precompiles.addresses()) access.warm(p);
        for (AccessListEntry e : tx.accessList()) {
            access.warm(e.address());
            for (Word k : e.storageKeys()) access.warm(e.address(), k);
        }

        TxContext ctx = new TxContext(sender, Word.fromBigInteger(effectivePrice), tx.blobVersionedHashes());
        Evm evm = new Evm(state, access, transientStorage, substate, journal, block, ctx, precompiles, jumpDests, tracer);
        long gas = gasLimit - intrinsic;
        Word value = Word.fromBigInteger(tx.value());
        FrameResult result;
        Message top = tx.isCreate()
                ? new Message(sender, target, target, value, new byte[0], tx.data(), null, gas, 0, false, true, true)
                : new Message(sender, target, target, value, tx.data(), state.code(target), state.codeHash(target), gas, 0, false, false, true);
        if (tracer != null) tracer.enter(tx.isCreate() ? 0xF0 : 0xF1, top);
        if (tx.isCreate()) {
            if (state.hasCodeOrNonce(target) || state.hasStorage(target)) {
                result = new FrameResult(HaltReason.ADDRESS_COLLISION, 0, new byte[0]);
            } else {
                result = evm.create(top);
            }
        } else {
            result = evm.call(top);
        }
        if (tracer != null) tracer.exit(result);
        if (!result.success()) substate.clearSticky();
        outputSink[0] = result;

        long gasLeft = result.gasLeft();
        long gasUsed = gasLimit - gasLeft;
        long refund = result.success() ? Math.min(gasUsed / 5, Math.max(0, substate.refund())) : 0;
        gasLeft += refund;
        state.addBalance(sender, Word.fromBigInteger(BigInteger.valueOf(gasLeft).multiply(effectivePrice)));
        BigInteger priorityFee = effectivePrice.subtract(block.baseFee().toBigInteger());
        Word fee = Word.fromBigInteger(BigInteger.valueOf(gasLimit - gasLeft).multiply(priorityFee));
        Word coinbaseBalance = state.balance(block.coinbase()).add(fee);
        if (!coinbaseBalance.isZero()) {
            state.setBalance(block.coinbase(), coinbaseBalance);
        } else if (state.existsAndIsEmpty(block.coinbase())) {
            state.destroy(block.coinbase());
        }
        for (Address a : substate.toDelete()) state.destroy(a);
        for (Address a : substate.touched()) {
            if (state.existsAndIsEmpty(a)) state.destroy(a);
        }
        var logs = substate.logs();
        return new TxOutcome.Included(new Receipt(tx.type(), result.success(), gasLimit - gasLeft, logs, Bloom.of(logs)));
    }
}
