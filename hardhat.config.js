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
// SidechainManager is near the 24 KiB code size limit (EIP-170); it is compiled for size (via IR, runs: 1).
// Its gas is spent mostly in the node registry's selection, which keeps runs: 200.
const compact = { ...compiler, settings: { ...compiler.settings, viaIR: true, optimizer: { enabled: true, runs: 1 } } };
// A public Ethereum network the manager contracts are deployed to (`./flotilla deploy --network NAME`): its
// endpoint in NAME_RPC_URL and the deployer's key in NAME_DEPLOYER_KEY, from the environment or the
// hardhat-keystore (`npx hardhat keystore set SEPOLIA_DEPLOYER_KEY`); read only when the network is used. The
// chain id is checked against the endpoint's, so a wrong URL cannot deploy on another network.
function publicNetwork(name, chainId) {
  const prefix = name.toUpperCase();
  return {
    type: "http",
    chainType: "l1",
    chainId,
    url: configVariable(`${prefix}_RPC_URL`),
    accounts: [configVariable(`${prefix}_DEPLOYER_KEY`)],
  };
}

const profile = {
  compilers: [compiler],
  overrides: {
    "contracts/SidechainManager.sol": compact,
    // Its extension (finalizeDraw, resizeSidechain), compiled as the manager was before the split.
    "contracts/SidechainManagerExtension.sol": compact,
    // Test contracts that contain or extend SidechainManager.
    "contracts/test/UpgradeTargets.sol": compact,
    "contracts/test/RotationAttacker.sol": compact,
  },
};

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    profiles: {
      default: profile,
      production: profile,
    },
    npmFilesToBuild: [
      "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol",
      "@openzeppelin/contracts/governance/TimelockController.sol",
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
    // Public testnets (see docs/contracts.md, "Deploying to a public network"). Add another network the same way;
    // `./flotilla deploy --network NAME` works with any network named here.
    sepolia: publicNetwork("sepolia", 11155111),
    holesky: publicNetwork("holesky", 17000),
    hoodi: publicNetwork("hoodi", 560048),
    // The in-process chain on which `./flotilla deploy --dry-run` (and every real deploy, first) plays the whole
    // deployment to measure its gas: deploy/deploy.js gives it the target's chain id and the deployer's key.
    deployRehearsal: {
      type: "edr-simulated",
      chainType: "l1",
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
  // Source verification (`./flotilla deploy --network NAME --verify`, or `./flotilla verify --network NAME` later):
  // Etherscan with ETHERSCAN_API_KEY (environment or keystore; one key serves every Etherscan-run explorer), and
  // Sourcify, which needs no key.
  verify: {
    etherscan: { apiKey: configVariable("ETHERSCAN_API_KEY") },
  },
  paths: {
    tests: { mocha: "./test" },
  },
  test: {
    mocha: { timeout: 600000 },
  },
});
