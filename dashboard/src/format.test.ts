import { describe, expect, it } from "vitest";
import { classify, duration, eth, evmChainId, ipOf, memberRpcUrl, parseLifetime, short } from "./format";

describe("format", () => {
  it("decodes a node's bytes4 address and a member's JSON-RPC URL as the agent computes them", () => {
    expect(ipOf("0x7f00000b")).toBe("127.0.0.11");
    expect(memberRpcUrl(ipOf("0x7f000010"), 20000)).toBe("http://127.0.0.16:20002");
    expect(() => ipOf("0x7f00")).toThrow(/bytes4/);
  });
  it("gives the EVM chain id of a manager chain id", () => {
    expect(evmChainId(1)).toBe(1179385857);
  });
  it("prints durations and parses lifetimes like the CLI", () => {
    expect(duration(30 * 86400 - 1)).toBe("29d 23h");
    expect(duration(3 * 3600 + 120)).toBe("3h 2m");
    expect(duration(0)).toBe("expired");
    expect(parseLifetime("90m")).toBe(5400);
    expect(parseLifetime("2w")).toBe(1209600);
    expect(parseLifetime("3600")).toBe(3600);
    expect(() => parseLifetime("soon")).toThrow(/not a lifetime/);
  });
  it("prints amounts and hashes shortly", () => {
    expect(eth(1_000_000n * 10n ** 18n)).toBe("1,000,000 ETH");
    expect(eth(83_000_000_000_000_000n)).toBe("0.083 ETH");
    expect(short("0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199")).toBe("0x8626f6…9c1199");
  });
  it("tells a block number, a transaction hash and an address apart", () => {
    expect(classify(" 12 ")).toEqual({ kind: "block", number: 12 });
    expect(classify("0x" + "ab".repeat(32))).toEqual({ kind: "tx", hash: "0x" + "ab".repeat(32) });
    expect(classify("0x" + "cd".repeat(20))).toEqual({ kind: "address", address: "0x" + "cd".repeat(20) });
    expect(classify("hello")).toBeNull();
  });
});
