// Hardhat 3 configuration. The compiler is the pinned solcjs (WASM) from npm, so
// compiling needs no download: no native solc is reachable on our machines.
import { createRequire } from "node:module";
import { configVariable, defineConfig } from "hardhat/config";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";

const require = createRequire(import.meta.url);

const compiler = {
  version: require("solc/package.json").version,
  path: require.resolve("solc/soljson.js"),
  settings: {
    evmVersion: "cancun",
    optimizer: { enabled: true, runs: 200 },
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: compiler,
      production: compiler,
    },
    npmFilesToBuild: [
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
    ],
  },
  networks: {
    localhost: {
      type: "http",
      chainType: "l1",
      url: process.env.FLOTILLA_RPC_URL ?? "http://127.0.0.1:8545",
    },
    // The in-process network pinned to Cancun, the EVM of Flotilla chains: `hardhat --network cancun node` is the
    // reference the differential tracing test (java/chain TracingDifferentialTest) compares a Flotilla member with.
    cancun: {
      type: "edr-simulated",
      chainType: "l1",
      hardfork: "cancun",
      // Failed transactions are mined and answered like on any chain, so their traces can be compared.
      throwOnTransactionFailures: false,
      throwOnCallFailures: false,
    },
    // A Flotilla sidechain (a subnode's JSON-RPC): FLOTILLA_CHAIN_RPC_URL and a funded key in
    // FLOTILLA_CHAIN_PRIVATE_KEY (environment or hardhat-keystore); read only when this network is used.
    flotilla: {
      type: "http",
      chainType: "l1",
      url: configVariable("FLOTILLA_CHAIN_RPC_URL"),
      accounts: [configVariable("FLOTILLA_CHAIN_PRIVATE_KEY")],
    },
  },
  paths: {
    tests: { mocha: "./test" },
  },
  test: {
    mocha: { timeout: 600000 },
  },
});
