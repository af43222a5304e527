package io.flotilla.manager;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.web3j.abi.FunctionReturnDecoder;
import org.web3j.abi.TypeReference;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * Turns revert data of the manager contracts into "ErrorName(arg, ...)" using the custom errors of their ABIs,
 * which the build copies into this jar under /abi.
 */
public final class RevertDecoder {

    private static final String[] CONTRACTS = {
        AddressBook.VALIDATOR_REGISTRY, AddressBook.NODE_REGISTRY, AddressBook.IMAGE_REGISTRY, AddressBook.SIDECHAIN_MANAGER
    };

    private record ErrorType(String name, List<String> types) {}

    private final Map<String, ErrorType> bySelector = new HashMap<>();

    public RevertDecoder() {
        ObjectMapper json = new ObjectMapper();
        for (String contract : CONTRACTS) {
            try (InputStream in = RevertDecoder.class.getResourceAsStream("/abi/" + contract + ".sol/" + contract + ".json")) {
                if (in == null) {
                    throw new IllegalStateException("ABI of " + contract + " missing from the manager-client jar");
                }
                for (JsonNode entry : json.readTree(in).path("abi")) {
                    if (!"error".equals(entry.path("type").asText())) {
                        continue;
                    }
                    List<String> types = new ArrayList<>();
                    entry.path("inputs").forEach(input -> types.add(input.path("type").asText()));
                    String signature = entry.path("name").asText() + "(" + String.join(",", types) + ")";
                    String selector = Hash.sha3String(signature).substring(0, 10);
                    bySelector.put(selector, new ErrorType(entry.path("name").asText(), types));
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read the ABI of " + contract, e);
            }
        }
    }

    /** A readable form of {@code revertData} (0x-hex), or the raw data when the error is not one of ours. */
    public String describe(String revertData) {
        if (revertData == null || revertData.length() < 10) {
            return "reverted without a reason";
        }
        ErrorType error = bySelector.get(revertData.substring(0, 10).toLowerCase());
        if (error == null) {
            return "reverted with data " + revertData;
        }
        try {
            List<TypeReference<Type>> references = new ArrayList<>();
            for (String type : error.types()) {
                references.add(TypeReference.makeTypeReference(type));
            }
            List<Type> values = FunctionReturnDecoder.decode("0x" + revertData.substring(10), references);
            return error.name() + "(" + values.stream().map(RevertDecoder::render).collect(Collectors.joining(", ")) + ")";
        } catch (ClassNotFoundException | RuntimeException e) {
            return error.name() + " (arguments not decodable: " + revertData + ")";
        }
    }

    private static String render(Type<?> value) {
        Object raw = value.getValue();
        if (raw instanceof byte[] bytes) {
            return Numeric.toHexString(bytes);
        }
        if (raw instanceof String text && !text.startsWith("0x")) {
            return "\"" + text + "\"";
        }
        return String.valueOf(raw);
    }
}
