package io.flotilla.chain.node;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.flotilla.evm.crypto.Keccak;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.generators.SCrypt;
import org.bouncycastle.crypto.params.KeyParameter;

/**
 * Decrypts an Ethereum V3 keystore (the format web3j, ethers and geth write): scrypt or PBKDF2-HMAC-SHA256 key
 * derivation, AES-128-CTR, and a keccak MAC that detects a wrong password.
 */
final class Keystore {

    private Keystore() {}

    static BigInteger decrypt(String json, String password) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        JsonNode crypto = root.has("crypto") ? root.get("crypto") : root.path("Crypto");
        if (!"aes-128-ctr".equals(crypto.path("cipher").asText())) {
            throw new IOException("unsupported cipher " + crypto.path("cipher").asText());
        }
        HexFormat hex = HexFormat.of();
        JsonNode kdf = crypto.path("kdfparams");
        byte[] salt = hex.parseHex(kdf.path("salt").asText());
        int dkLen = kdf.path("dklen").asInt(32);
        byte[] pass = password.getBytes(StandardCharsets.UTF_8);
        byte[] derived = switch (crypto.path("kdf").asText()) {
            case "scrypt" -> SCrypt.generate(pass, salt, kdf.path("n").asInt(), kdf.path("r").asInt(), kdf.path("p").asInt(), dkLen);
            case "pbkdf2" -> {
                PKCS5S2ParametersGenerator gen = new PKCS5S2ParametersGenerator(new SHA256Digest());
                gen.init(pass, salt, kdf.path("c").asInt());
                yield ((KeyParameter) gen.generateDerivedParameters(dkLen * 8)).getKey();
            }
            default -> throw new IOException("unsupported key derivation " + crypto.path("kdf").asText());
        };
        byte[] ciphertext = hex.parseHex(crypto.path("ciphertext").asText());
        byte[] macInput = new byte[16 + ciphertext.length];
        System.arraycopy(derived, 16, macInput, 0, 16);
        System.arraycopy(ciphertext, 0, macInput, 16, ciphertext.length);
        if (!MessageDigest.isEqual(Keccak.hash(macInput), hex.parseHex(crypto.path("mac").asText()))) {
            throw new IOException("wrong password (MAC mismatch)");
        }
        try {
            Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(Cipher.DECRYPT_MODE, new SecretKeySpec(derived, 0, 16, "AES"),
                    new IvParameterSpec(hex.parseHex(crypto.path("cipherparams").path("iv").asText())));
            return new BigInteger(1, aes.doFinal(ciphertext));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot decrypt: " + e.getMessage());
        }
    }
}
