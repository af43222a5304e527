/**
 * Ethereum JSON-RPC 2.0 over HTTP on the JDK's built-in server: {@link io.flotilla.chain.rpc.JsonRpcServer}
 * (transport, batches, limits), {@link io.flotilla.chain.rpc.EthApi} (methods), {@link io.flotilla.chain.rpc.DevNode}
 * (everything wired together for single-producer mode).
 */
package io.flotilla.chain.rpc;
