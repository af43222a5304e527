// `./flotilla deploy --network sepolia` as an operator runs it, against a real Hardhat node process started with
// Sepolia's chain id (11155111) and a deployer key of its own (not a development account), so that everything but
// the network itself is exercised: the launcher, hardhat.config.js, the endpoint and key from the environment, the
// rehearsal and its gas, the refusals, the address book and the roles on chain.
import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const hardhat = join(root, "node_modules", ".bin", "hardhat");
const SEPOLIA = 11155111;
const PORT = 19545 + (process.pid % 1000);
const RPC = `http://127.0.0.1:${PORT}`;
const ROLE_NAMES = ["admin", "upgrader", "treasurer", "publisher", "compliance"];

/** Runs the launcher; resolves to { code, stdout, stderr } whatever the exit status. */
function flotilla(args, env) {
  return new Promise((resolve) => {
    execFile(join(root, "flotilla"), args, { cwd: root, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}

/**
 * Runs a command on a pipe as an operator at a terminal would: each time its output ends with the next prompt of
 * `answers` ([RegExp, text] pairs, in order), it types the text. Resolves to { code, output } (stdout and stderr).
 */
function interactive(command, args, env, answers) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let next = 0;
    let seenUpTo = 0;
    const onData = (chunk) => {
      output += chunk.toString();
      if (next < answers.length && answers[next][0].test(output.slice(seenUpTo))) {
        seenUpTo = output.length;
        child.stdin.write(answers[next++][1] + "\n");
        // After the last answer the terminal has nothing more to say (an open stdin would keep Hardhat waiting).
        if (next === answers.length) child.stdin.end();
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    const timer = setTimeout(() => child.kill(), 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

/** The environment without the variables that make Hardhat skip its keystore (it takes them for a CI machine). */
function withoutCi(env) {
  const out = { ...env };
  for (const v of ["CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "BUILD_NUMBER", "RUN_ID", "NOW", "DEPLOYMENT_ID", "CODEBUILD_BUILD_NUMBER"]) {
    delete out[v];
  }
  return out;
}

/** deploy/deploy.js as the launcher runs it, without the launcher's compile step (for the quick refusals). */
function deployScript(network, env) {
  return new Promise((resolve) => {
    execFile(hardhat, ["run", "deploy/deploy.js", "--network", network], { cwd: root, env: { ...env, FLOTILLA_DEPLOY_YES: "1" } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}

describe("./flotilla deploy --network sepolia against a Hardhat node with Sepolia's chain id", function () {
  let node;
  let bookDir;
  let provider;
  let deployer;
  let roles;
  let baseEnv;

  before(async function () {
    bookDir = mkdtempSync(join(tmpdir(), "flotilla-testnet-book-"));
    node = spawn(hardhat, ["node", "--hostname", "127.0.0.1", "--port", String(PORT), "--chain-id", String(SEPOLIA)],
      { cwd: root, stdio: "ignore" });
    provider = new ethers.JsonRpcProvider(RPC, undefined, { cacheTimeout: -1 });
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        expect(Number((await provider.getNetwork()).chainId)).to.equal(SEPOLIA);
        break;
      } catch (error) {
        if (Date.now() > end) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    deployer = ethers.Wallet.createRandom();
    roles = Object.fromEntries(ROLE_NAMES.map((r) => [r, ethers.Wallet.createRandom().address]));
    const funder = await provider.getSigner(0);
    await (await funder.sendTransaction({ to: deployer.address, value: ethers.parseEther("2") })).wait();
    // As an operator's shell: without HH_TEST, which `hardhat test` sets and which limits configuration variables to
    // Hardhat's development keystore.
    const { HH_TEST: _, ...operatorEnv } = process.env;
    baseEnv = {
      ...operatorEnv,
      SEPOLIA_RPC_URL: RPC,
      SEPOLIA_DEPLOYER_KEY: deployer.privateKey,
      FLOTILLA_ADDRESS_BOOK_DIR: bookDir,
      ...Object.fromEntries(ROLE_NAMES.map((r) => [`FLOTILLA_${r.toUpperCase()}`, roles[r]])),
    };
  });

  after(function () {
    provider?.destroy();
    node?.kill();
    rmSync(bookDir, { recursive: true, force: true });
  });

  /** What the chain says the deployer did: its nonce and the chain's height; a refused deploy changes neither. */
  async function chainState() {
    return { nonce: await provider.getTransactionCount(deployer.address), height: await provider.getBlockNumber() };
  }

  it("--dry-run prints the plan with the gas of every transaction and sends nothing", async function () {
    const before = await chainState();
    const { code, stdout, stderr } = await flotilla(["deploy", "--network", "sepolia", "--dry-run"], baseEnv);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain("DRY RUN, nothing is sent");
    expect(stdout).to.contain("deploy SidechainManager implementation");
    expect(stdout).to.contain("ValidatorRegistry: the deployer renounces DEFAULT_ADMIN_ROLE");
    const { plan } = JSON.parse(stdout.trim().split("\n").pop());
    expect(plan).to.include({ dryRun: true, network: "sepolia", chainId: SEPOLIA, deployer: deployer.address });
    // 4 implementations + 4 proxies, 2 internal grants, 1 consensus engine enabled, 2 timelocks, 11 role grants,
    // 11 renouncements.
    expect(plan.transactions).to.equal(35);
    expect(stdout).to.contain("SidechainManager: enable consensus engine hotstuff");
    expect(BigInt(plan.gas)).to.be.greaterThan(10_000_000n);
    expect(BigInt(plan.costWei)).to.equal(BigInt(plan.gas) * BigInt(plan.maxFeePerGas));
    expect(await chainState()).to.deep.equal(before);
    expect(existsSync(join(bookDir, `${SEPOLIA}.json`))).to.equal(false);
  });

  it("takes the deployer key from the hardhat-keystore, asking its password, when the environment does not hold it", async function () {
    // A production keystore of this test's own (Hardhat keeps it under $XDG_CONFIG_HOME/hardhat-nodejs), set up as
    // the docs say: `npx hardhat keystore set SEPOLIA_DEPLOYER_KEY`.
    const config = mkdtempSync(join(tmpdir(), "flotilla-keystore-"));
    try {
      const { SEPOLIA_DEPLOYER_KEY: _, ...rest } = withoutCi(baseEnv);
      const env = { ...rest, XDG_CONFIG_HOME: config };
      const password = "correct horse battery";
      const set = await interactive(hardhat, ["keystore", "set", "SEPOLIA_DEPLOYER_KEY"], env,
        [[/Enter the password/, password], [/confirm your password/, password], [/Enter secret/, deployer.privateKey]]);
      expect(set.code, set.output).to.equal(0);
      expect(existsSync(join(config, "hardhat-nodejs", "keystore.json"))).to.equal(true);
      expect(readFileSync(join(config, "hardhat-nodejs", "keystore.json"), "utf8")).to.not.contain(deployer.privateKey.slice(2));

      const before = await chainState();
      const run = await interactive(join(root, "flotilla"), ["deploy", "--network", "sepolia", "--dry-run"], env,
        [[/Enter the password/, password]]);
      expect(run.code, run.output).to.equal(0);
      const { plan } = JSON.parse(run.output.trim().split("\n").filter((l) => l.startsWith("{")).pop());
      expect(plan).to.include({ dryRun: true, chainId: SEPOLIA, deployer: deployer.address });
      // A wrong password deploys nothing and says so.
      const wrong = await interactive(join(root, "flotilla"), ["deploy", "--network", "sepolia", "--dry-run"], env,
        [[/Enter the password/, "not the password"]]);
      expect(wrong.code).to.not.equal(0);
      expect(wrong.output).to.not.contain("DRY RUN");
      expect(wrong.output).to.contain("Invalid password or corrupted keystore file");
      expect(await chainState()).to.deep.equal(before);
    } finally {
      rmSync(config, { recursive: true, force: true });
    }
  });

  it("names a missing endpoint or key in one line and exits non-zero", async function () {
    for (const variable of ["SEPOLIA_DEPLOYER_KEY", "SEPOLIA_RPC_URL"]) {
      const env = { ...baseEnv };
      delete env[variable];
      const { code, stdout, stderr } = await flotilla(["deploy", "--network", "sepolia", "--yes"], env);
      expect(code).to.not.equal(0);
      expect(stdout.trim()).to.equal("");
      expect(stderr.trim().split("\n"), stderr).to.have.length(1);
      expect(stderr).to.match(new RegExp(`^flotilla deploy: ${variable} is not set`));
    }
  });

  it("refuses a key from a file in the repository, by path or by content, and a development key", async function () {
    const before = await chainState();
    const inRepo = join(root, `.deploy-test-key-${process.pid}`);
    writeFileSync(inRepo, deployer.privateKey + "\n", { mode: 0o600 });
    try {
      const env = { ...baseEnv };
      delete env.SEPOLIA_DEPLOYER_KEY;
      let run = await flotilla(["deploy", "--network", "sepolia", "--yes", "--key-file", inRepo], env);
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.contain("it is inside the repository");
      // The same key in the environment, while it is written in a file of the checkout.
      run = await flotilla(["deploy", "--network", "sepolia", "--yes"], baseEnv);
      expect(run.code).to.not.equal(0);
      expect(run.stderr).to.contain(`is written in .deploy-test-key-${process.pid}`);
    } finally {
      rmSync(inRepo, { force: true });
    }
    const development = ethers.HDNodeWallet.fromPhrase("test test test test test test test test test test test junk", undefined, "m/44'/60'/0'/0/3");
    const run = await flotilla(["deploy", "--network", "sepolia", "--yes"], { ...baseEnv, SEPOLIA_DEPLOYER_KEY: development.privateKey });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain("development account 3");
    expect(await chainState()).to.deep.equal(before);
  });

  it("refuses, before sending anything: another chain behind the URL, a deployer too poor, no confirmation", async function () {
    const before = await chainState();
    // holesky (17000) pointed at the Sepolia-id node.
    let run = await deployScript("holesky",
      { ...baseEnv, HOLESKY_RPC_URL: RPC, HOLESKY_DEPLOYER_KEY: deployer.privateKey });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain(`is on chain ${SEPOLIA}, not 17000`);
    const poor = ethers.Wallet.createRandom();
    run = await deployScript("sepolia", { ...baseEnv, SEPOLIA_DEPLOYER_KEY: poor.privateKey });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.match(/has 0\.0 ETH, the deployment needs about [0-9.]+ ETH/);
    run = await flotilla(["deploy", "--network", "sepolia"], baseEnv);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain("needs a confirmation: rerun with --yes");
    run = await deployScript("sepolia", { ...baseEnv, FLOTILLA_PUBLISHER: roles.admin });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain("five distinct addresses");
    run = await deployScript("sepolia", { ...baseEnv, FLOTILLA_TREASURER: deployer.address });
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain("the deployer's key holds no role");
    expect(await chainState()).to.deep.equal(before);
    expect(await provider.getTransactionCount(poor.address)).to.equal(0);
  });

  it("deploys: address book written, every role on its own address, admin and upgrades behind timelocks", async function () {
    const { code, stdout, stderr } = await flotilla(["deploy", "--network", "sepolia", "--yes"], baseEnv);
    expect(code, stderr).to.equal(0);
    const lines = stdout.trim().split("\n");
    const { deployed } = JSON.parse(lines.pop());
    const book = JSON.parse(readFileSync(join(bookDir, `${SEPOLIA}.json`), "utf8"));
    expect(book).to.include({ chainId: SEPOLIA, network: "sepolia", deployer: deployer.address });
    expect(book.roles).to.deep.equal(roles);
    expect(book.transactions).to.have.length(35); // including enabling the "hotstuff" consensus engine
    expect(deployed.transactions).to.equal(35);
    // The estimate a deployer funds its account from is what the deployment used (same code on the same EVM).
    const used = book.transactions.reduce((sum, t) => sum + BigInt(t.gasUsed), 0n);
    expect(used).to.equal(BigInt(deployed.gas));
    const planned = lines.find((l) => l.includes("total")).match(/([0-9,]+) gas;/)[1].replaceAll(",", "");
    expect(Number(used)).to.be.within(Number(planned) * 0.99, Number(planned) * 1.01);
    // Every contract created is listed for source verification with its constructor arguments.
    expect(book.verification.map((v) => v.contract.split(":")[1]).sort()).to.deep.equal([
      "ERC1967Proxy", "ERC1967Proxy", "ERC1967Proxy", "ERC1967Proxy", "ImageRegistry", "NodeRegistry",
      "SidechainManager", "TimelockController", "TimelockController", "ValidatorRegistry"]);

    const abiOf = (path) => JSON.parse(readFileSync(join(root, path), "utf8")).abi;
    const at = (name) => new ethers.Contract(book.contracts[name].address, abiOf(book.contracts[name].abi), provider);
    const [validators, nodes, images, manager] = ["ValidatorRegistry", "NodeRegistry", "ImageRegistry", "SidechainManager"].map(at);
    expect(await manager.isConsensusEngine("bft")).to.equal(true);
    expect(await manager.isConsensusEngine("hotstuff")).to.equal(true); // every engine the subnode ships
    const ADMIN = ethers.ZeroHash;
    const UPGRADER = ethers.id("UPGRADER_ROLE");
    const holders = [deployer.address, ...Object.values(roles), book.timelocks.admin, book.timelocks.upgrader];
    expect(new Set(holders.map((a) => a.toLowerCase())).size).to.equal(8);
    const expected = new Map([
      [validators, { [ADMIN]: book.timelocks.admin, [UPGRADER]: book.timelocks.upgrader }],
      [nodes, { [ADMIN]: book.timelocks.admin, [UPGRADER]: book.timelocks.upgrader, [ethers.id("COMPLIANCE_ROLE")]: roles.compliance }],
      [images, { [ADMIN]: book.timelocks.admin, [UPGRADER]: book.timelocks.upgrader, [ethers.id("PUBLISHER_ROLE")]: roles.publisher }],
      [manager, { [ADMIN]: book.timelocks.admin, [UPGRADER]: book.timelocks.upgrader, [ethers.id("TREASURER_ROLE")]: roles.treasurer }],
    ]);
    const allRoles = [ADMIN, UPGRADER, ethers.id("COMPLIANCE_ROLE"), ethers.id("PUBLISHER_ROLE"), ethers.id("TREASURER_ROLE")];
    for (const [contract, held] of expected) {
      for (const role of allRoles) {
        for (const who of holders) {
          const should = held[role] !== undefined && held[role].toLowerCase() === who.toLowerCase();
          expect(await contract.hasRole(role, who), `${await contract.getAddress()} ${role} ${who}`).to.equal(should);
        }
      }
    }
    expect(await validators.hasRole(await validators.NODE_REGISTRY_ROLE(), await nodes.getAddress())).to.equal(true);
    expect(await nodes.hasRole(await nodes.PLACEMENT_ROLE(), await manager.getAddress())).to.equal(true);

    const timelockAbi = abiOf("artifacts/@openzeppelin/contracts/governance/TimelockController.sol/TimelockController.json");
    for (const [which, holder, delay] of [["admin", roles.admin, 2 * 86400], ["upgrader", roles.upgrader, 8 * 86400]]) {
      const timelock = new ethers.Contract(book.timelocks[which], timelockAbi, provider);
      expect(await timelock.getMinDelay()).to.equal(BigInt(delay));
      for (const role of [await timelock.PROPOSER_ROLE(), await timelock.EXECUTOR_ROLE(), await timelock.CANCELLER_ROLE()]) {
        expect(await timelock.hasRole(role, holder)).to.equal(true);
        expect(await timelock.hasRole(role, deployer.address)).to.equal(false);
      }
      // The timelock administers itself: nobody can change its delay or proposers without going through it.
      expect(await timelock.hasRole(await timelock.DEFAULT_ADMIN_ROLE(), deployer.address)).to.equal(false);
      expect(await timelock.hasRole(await timelock.DEFAULT_ADMIN_ROLE(), book.timelocks[which])).to.equal(true);
    }
  });

  it("keeps a recorded deployment unless --replace, which archives it", async function () {
    const file = join(bookDir, `${SEPOLIA}.json`);
    const recorded = readFileSync(file, "utf8");
    const before = await chainState();
    let run = await flotilla(["deploy", "--network", "sepolia", "--yes"], baseEnv);
    expect(run.code).to.not.equal(0);
    expect(run.stderr).to.contain("exists (a deployment on chain 11155111 is recorded)");
    expect(readFileSync(file, "utf8")).to.equal(recorded);
    expect(await chainState()).to.deep.equal(before);
    run = await flotilla(["deploy", "--network", "sepolia", "--yes", "--replace"], baseEnv);
    expect(run.code, run.stderr).to.equal(0);
    const archived = `${SEPOLIA}-${JSON.parse(recorded).deployedAt.replace(/[:.]/g, "-")}.json`;
    expect(readFileSync(join(bookDir, archived), "utf8")).to.equal(recorded);
    expect(JSON.parse(readFileSync(file, "utf8")).contracts.SidechainManager.address)
      .to.not.equal(JSON.parse(recorded).contracts.SidechainManager.address);
  });
});
