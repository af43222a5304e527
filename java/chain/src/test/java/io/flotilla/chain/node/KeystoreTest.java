package io.flotilla.chain.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.ECKeyPair;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Wallet;

/** The node reads the keystore web3j writes (the agent's `node keygen` uses web3j), with either scrypt strength. */
class KeystoreTest {

    @Test
    void decryptsWeb3jKeystoresAndRefusesAWrongPassword() throws Exception {
        ECKeyPair pair = Keys.createEcKeyPair();
        String light = new ObjectMapper().writeValueAsString(Wallet.createLight("pw", pair));
        assertEquals(pair.getPrivateKey(), Keystore.decrypt(light, "pw"));
        IOException wrong = assertThrows(IOException.class, () -> Keystore.decrypt(light, "nope"));
        assertEquals("wrong password (MAC mismatch)", wrong.getMessage());
    }
}
