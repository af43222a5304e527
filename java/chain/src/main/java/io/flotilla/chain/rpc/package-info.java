/**
 * Ethereum JSON-RPC 2.0: over HTTP on the JDK's built-in server ({@link io.flotilla.chain.rpc.JsonRpcServer}) and over
 * WebSocket with eth_subscribe ({@link io.flotilla.chain.rpc.WebSocketRpcServer}, an own RFC 6455 implementation);
 * both dispatch to the same methods ({@link io.flotilla.chain.rpc.EthApi}). {@link io.flotilla.chain.rpc.DevNode}
 * wires everything together for single-producer mode.
 */
package io.flotilla.chain.rpc;
