package io.flotilla.evm.tx;

/** Why a transaction is invalid and cannot be included (names follow the test-suite's TransactionException). */
public enum TxRejection {
    INTRINSIC_GAS_TOO_LOW,
    NONCE_IS_MAX,
    NONCE_MISMATCH,
    INITCODE_SIZE_EXCEEDED,
    GAS_ALLOWANCE_EXCEEDED,
    PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS,
    INSUFFICIENT_MAX_FEE_PER_GAS,
    INSUFFICIENT_ACCOUNT_FUNDS,
    SENDER_NOT_EOA,
    TYPE_3_TX_CONTRACT_CREATION,
    TYPE_3_TX_ZERO_BLOBS,
    TYPE_3_TX_INVALID_BLOB_VERSIONED_HASH,
    TYPE_3_TX_BLOB_COUNT_EXCEEDED,
    INSUFFICIENT_MAX_FEE_PER_BLOB_GAS,
    UNSUPPORTED_TYPE,
    /**
     * Not a validity rule of Ethereum: executing the transaction raised an error inside this implementation (a
     * bug, a failing world state, an exhausted Java heap or stack). The world state was restored to exactly what
     * it was before the transaction; the detail names the error.
     */
    EXECUTION_FAILED
}
