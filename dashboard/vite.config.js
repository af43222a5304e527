// Vite build of the dashboard. The contracts' ABIs come from the Hardhat artifacts at build time (virtual module
// "virtual:flotilla-abis", only the `abi` arrays): they are compiled, never committed.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const CONTRACTS = ["SidechainManager", "NodeRegistry", "ValidatorRegistry", "ImageRegistry"];
const VIRTUAL = "virtual:flotilla-abis";

function flotillaAbis() {
  return {
    name: "flotilla-abis",
    resolveId(id) {
      return id === VIRTUAL ? "\0" + VIRTUAL : null;
    },
    load(id) {
      if (id !== "\0" + VIRTUAL) return null;
      const abis = {};
      for (const name of CONTRACTS) {
        const file = join(root, "artifacts", "contracts", `${name}.sol`, `${name}.json`);
        if (!existsSync(file)) {
          this.error(`no Hardhat artifact ${file}: compile the contracts first (./flotilla compile)`);
        }
        this.addWatchFile(file);
        abis[name] = JSON.parse(readFileSync(file, "utf8")).abi;
      }
      return `export default ${JSON.stringify(abis)};`;
    },
  };
}

export default defineConfig({
  plugins: [flotillaAbis()],
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  test: { include: ["src/**/*.test.{js,ts}", "test/**/*.test.{js,ts}"], testTimeout: 240_000, hookTimeout: 240_000 },
});
