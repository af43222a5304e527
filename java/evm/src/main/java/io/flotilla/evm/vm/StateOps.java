package io.flotilla.evm.vm;

import static io.flotilla.evm.vm.Frame.charge;
import static io.flotilla.evm.vm.Frame.halt;

import io.flotilla.evm.types.Address;
import io.flotilla.evm.types.Word;

/** SSTORE (EIP-2200/2929/3529 gas and refunds) and SELFDESTRUCT (EIP-6780). */
final class StateOps {
    private StateOps() {
    }

    static void sstore(Frame f, Word key, Word value) {
        Evm evm = f.evm;
        Address a = f.m.target();
        if (f.gas <= Gas.CALL_STIPEND) throw halt(HaltReason.OUT_OF_GAS);
        Word original = evm.state.originalStorage(a, key);
        Word current = evm.state.storage(a, key);
        long cost = 0;
        if (!evm.access.warm(a, key)) cost += Gas.COLD_SLOAD;
        if (original.equals(current) && !current.equals(value)) {
            cost += original.isZero() ? Gas.STORAGE_SET : Gas.STORAGE_UPDATE - Gas.COLD_SLOAD;
        } else {
            cost += Gas.WARM_ACCESS;
        }
        long refund = 0;
        if (!current.equals(value)) {
            if (!original.isZero() && !current.isZero() && value.isZero()) refund += Gas.STORAGE_CLEAR_REFUND;
            if (!original.isZero() && current.isZero()) refund -= Gas.STORAGE_CLEAR_REFUND;
            if (original.equals(value)) {
                refund += original.isZero()
                        ? Gas.STORAGE_SET - Gas.WARM_ACCESS
                        : Gas.STORAGE_UPDATE - Gas.COLD_SLOAD - Gas.WARM_ACCESS;
            }
        }
        charge(f, cost);
        if (f.m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        if (refund != 0) evm.substate.addRefund(refund);
        evm.state.setStorage(a, key, value);
    }

    static void selfDestruct(Frame f, Address beneficiary) {
        Evm evm = f.evm;
        Address self = f.m.target();
        long cost = 0;
        if (!evm.access.warm(beneficiary)) cost += Gas.COLD_ACCOUNT_ACCESS;
        if (!evm.state.isAlive(beneficiary) && !evm.state.balance(self).isZero()) cost += Gas.NEW_ACCOUNT;
        charge(f, cost);
        if (f.m.isStatic()) throw halt(HaltReason.STATIC_STATE_CHANGE);
        Word balance = evm.state.balance(self);
        if (evm.tracer != null) {
            // Tracers see the transfer as a frame of its own, as geth shows it (type SELFDESTRUCT, no gas).
            evm.tracer.enter(0xFF, new Message(self, beneficiary, beneficiary, balance, FrameResult.NONE, FrameResult.NONE, null, 0,
                    f.m.depth() + 1, false, false, true));
            evm.tracer.exit(new FrameResult(null, 0, FrameResult.NONE));
        }
        evm.state.transfer(self, beneficiary, balance);
        // EIP-6780: only a contract created in this transaction is really removed.
        if (evm.state.wasCreated(self)) {
            evm.state.setBalance(self, Word.ZERO);
            evm.substate.markForDeletion(self);
        }
        if (evm.state.existsAndIsEmpty(beneficiary)) evm.substate.touch(beneficiary);
    }
}
