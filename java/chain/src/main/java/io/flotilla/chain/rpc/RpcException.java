package io.flotilla.chain.rpc;

/** A JSON-RPC error object: code, message and optional data (e.g. revert bytes as hex). */
public final class RpcException extends Exception {
    public static final int PARSE_ERROR = -32700;
    public static final int INVALID_REQUEST = -32600;
    public static final int METHOD_NOT_FOUND = -32601;
    public static final int INVALID_PARAMS = -32602;
    public static final int INTERNAL_ERROR = -32603;
    /** Ethereum's generic server-side error (nonce too low, insufficient funds, ...). */
    public static final int SERVER_ERROR = -32000;
    /** Ethereum's code for a call that executed REVERT. */
    public static final int EXECUTION_REVERTED = 3;

    private final int code;
    private final Object data;

    public RpcException(int code, String message) {
        this(code, message, null);
    }

    public RpcException(int code, String message, Object data) {
        super(message, null, false, false);
        this.code = code;
        this.data = data;
    }

    public int code() {
        return code;
    }

    public Object data() {
        return data;
    }

    public static RpcException invalidParams(String why) {
        return new RpcException(INVALID_PARAMS, "invalid params: " + why);
    }
}
