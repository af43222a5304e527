package io.flotilla.evm.types;

import java.util.HexFormat;

/** Hex helpers accepting an optional 0x prefix and odd lengths. */
public final class Hex {
    private Hex() {
    }

    public static String strip(String s) {
        return s.startsWith("0x") || s.startsWith("0X") ? s.substring(2) : s;
    }

    public static byte[] decode(String s) {
        String h = strip(s);
        if ((h.length() & 1) == 1) h = "0" + h;
        return HexFormat.of().parseHex(h);
    }

    public static String encode(byte[] b) {
        return "0x" + HexFormat.of().formatHex(b);
    }
}
