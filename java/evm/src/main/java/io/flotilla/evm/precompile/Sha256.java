package io.flotilla.evm.precompile;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** 0x02: SHA-256 (the JDK digest, which uses CPU SHA extensions where present). */
final class Sha256 implements Precompile {
    @Override
    public long gas(byte[] input) {
        return 60 + 12 * Precompiles.words(input.length);
    }

    @Override
    public byte[] run(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK ships SHA-256", e);
        }
    }
}
