package io.flotilla.manager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The deployment's address book, deploy/deployments/&lt;chainId&gt;.json, written by deploy/deploy.js.
 *
 * @param chainId the Ethereum chain id the contracts live on
 * @param addresses contract name to proxy address
 * @param abiPaths contract name to the ABI artifact path, relative to the repository root
 * @param deploymentBlockHash hash of the block that ended the deployment (0x-hex), empty in books written before it
 *     was recorded
 */
public record AddressBook(long chainId, Map<String, String> addresses, Map<String, String> abiPaths, String deploymentBlockHash) {

    public static final String VALIDATOR_REGISTRY = "ValidatorRegistry";
    public static final String NODE_REGISTRY = "NodeRegistry";
    public static final String IMAGE_REGISTRY = "ImageRegistry";
    public static final String SIDECHAIN_MANAGER = "SidechainManager";

    public AddressBook {
        addresses = Map.copyOf(addresses);
        abiPaths = Map.copyOf(abiPaths);
        deploymentBlockHash = deploymentBlockHash == null ? "" : deploymentBlockHash.toLowerCase();
        for (String name : new String[] {VALIDATOR_REGISTRY, NODE_REGISTRY, IMAGE_REGISTRY, SIDECHAIN_MANAGER}) {
            if (!addresses.containsKey(name)) {
                throw new IllegalArgumentException("address book has no address for " + name);
            }
        }
    }

    /** Reads an address book file; the message of the exception names the file and the problem. */
    public static AddressBook read(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(Files.readString(file));
            Map<String, String> addresses = new LinkedHashMap<>();
            Map<String, String> abis = new LinkedHashMap<>();
            root.path("contracts").fields().forEachRemaining(entry -> {
                addresses.put(entry.getKey(), entry.getValue().path("address").asText());
                abis.put(entry.getKey(), entry.getValue().path("abi").asText());
            });
            if (!root.has("chainId")) {
                throw new IllegalArgumentException("no chainId");
            }
            return new AddressBook(root.get("chainId").asLong(), addresses, abis, root.path("deployment").path("blockHash").asText(""));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("address book " + file + ": " + e.getMessage(), e);
        }
    }

    public String address(String contract) {
        return addresses.get(contract);
    }

    /**
     * This Flotilla network's identity: 8 hex digits of SHA-256 over the Ethereum chain id, the SidechainManager's
     * address and the deployment's block hash. Every agent of the network reads the same address book, so all agree;
     * two networks differ in one of the three (on one Ethereum chain the manager addresses differ; two local Hardhat
     * chains with equal addresses differ in the block hash, which covers the block's timestamp).
     */
    public String networkId() {
        String seed = chainId + ":" + address(SIDECHAIN_MANAGER).toLowerCase() + ":" + deploymentBlockHash;
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(digest, 0, 4);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
