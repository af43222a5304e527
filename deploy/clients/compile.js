// Compiles deploy/clients/ClientCheck.sol with the pinned solcjs (no download, no Hardhat build needed).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

export function compileClientCheck() {
  const solc = require("solc");
  const source = readFileSync(new URL("./ClientCheck.sol", import.meta.url), "utf8");
  const input = {
    language: "Solidity",
    sources: { "ClientCheck.sol": { content: source } },
    settings: {
      evmVersion: "cancun",
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { "*": { ClientCheck: ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input)));
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new Error("solc: " + errors.map((e) => e.formattedMessage).join("\n"));
  }
  const c = output.contracts["ClientCheck.sol"].ClientCheck;
  return { abi: c.abi, bytecode: "0x" + c.evm.bytecode.object };
}
