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
 */
public record AddressBook(long chainId, Map<String, String> addresses, Map<String, String> abiPaths) {

    public static final String VALIDATOR_REGISTRY = "ValidatorRegistry";
    public static final String NODE_REGISTRY = "NodeRegistry";
    public static final String IMAGE_REGISTRY = "ImageRegistry";
    public static final String SIDECHAIN_MANAGER = "SidechainManager";

    public AddressBook {
        addresses = Map.copyOf(addresses);
        abiPaths = Map.copyOf(abiPaths);
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
            return new AddressBook(root.get("chainId").asLong(), addresses, abis);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("address book " + file + ": " + e.getMessage(), e);
        }
    }

    public String address(String contract) {
        return addresses.get(contract);
    }
}
