package io.flotilla.chain.rpc;

import com.fasterxml.jackson.databind.JsonNode;

/** One JSON-RPC method: positional params in, a Jackson-serialisable result out. */
@FunctionalInterface
public interface RpcMethod {
    Object call(JsonNode params) throws RpcException;
}
