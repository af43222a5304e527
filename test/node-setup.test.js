// A validator's server install as the operator runs it: `./flotilla node init` writes agent.yml and the node key,
// `./flotilla node check` judges the server against a real Hardhat node holding a real deployment, the agent itself
// reads what init wrote, and `./flotilla node install-service` writes a systemd unit that systemd accepts.
import { expect } from "chai";
import { execFile, execFileSync, spawn } from "node:child_process";
import { chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ethers } from "ethers";
import yaml from "js-yaml";
import { SETTINGS } from "../deploy/node/config.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const hardhat = join(root, "node_modules", ".bin", "hardhat");
const PORT = 20545 + (process.pid % 1000);
const RPC = `http://127.0.0.1:${PORT}`;
// A loopback address and port range of this test's own (other tests use 127.0.0.1 and 127.0.0.1x, ports 20000+).
const IP = "127.0.0.77";
const BASE_PORT = 41000 + (process.pid % 8) * 2048;

function run(file, args, env = process.env) {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }));
  });
}
const flotilla = (args, env) => run(join(root, "flotilla"), args, env);

function freePort() {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

describe("a validator's server: ./flotilla node init, node check, install-service", function () {
  let node;
  let work;
  let book;
  let dir;
  let init;

  before(async function () {
    work = mkdtempSync(join(tmpdir(), "flotilla-node-setup-"));
    node = spawn(hardhat, ["node", "--hostname", "127.0.0.1", "--port", String(PORT)], { cwd: root, stdio: "ignore" });
    const provider = new ethers.JsonRpcProvider(RPC);
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        await provider.getNetwork();
        break;
      } catch (error) {
        if (Date.now() > end) throw error;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    provider.destroy();
    const deployed = await run(hardhat, ["run", "deploy/deploy.js", "--network", "localhost"],
      { ...process.env, FLOTILLA_RPC_URL: RPC, FLOTILLA_ADDRESS_BOOK_DIR: join(work, "book") });
    expect(deployed.code, deployed.stderr).to.equal(0);
    book = join(work, "book", "31337.json");
    dir = join(work, "etc");
    init = (extra) => flotilla(["node", "init", "--dir", dir, "--rpc-url", RPC, "--base-port", String(BASE_PORT),
      "--data-dir", join(work, "data"), "--address-book", book, "--non-interactive", ...extra]);
  });

  after(function () {
    node?.kill();
    rmSync(work, { recursive: true, force: true });
  });

  it("init refuses what it cannot use, with one line, and writes nothing", async function () {
    for (const [args, message] of [
      [[], "--ip is required"],
      [["--ip", "300.1.1.1"], "--ip: not a usable IPv4 address: 300.1.1.1"],
      [["--ip", IP, "--memory-mib", "99999999"], "the capacity can only be lowered"],
      [["--ip", IP, "--cpu-millicores", "0"], "not a positive whole number"],
    ]) {
      const { code, stderr } = await init(args);
      expect(code, message).to.not.equal(0);
      expect(stderr.trim().split("\n"), stderr).to.have.length(1);
      expect(stderr).to.contain(message);
    }
    const { code, stderr } = await flotilla(["node", "init", "--dir", dir, "--rpc-url", `http://127.0.0.1:${await freePort()}`, "--ip", IP, "--non-interactive"]);
    expect(code).to.not.equal(0);
    expect(stderr).to.contain("does not answer eth_chainId");
    expect(existsSync(dir)).to.equal(false);
  });

  it("init writes agent.yml with every setting, the node key (0600) and the address book of the endpoint's chain", async function () {
    const { code, stdout, stderr } = await init(["--ip", IP, "--memory-mib", "2048"]);
    expect(code, stderr).to.equal(0);
    const { nodeAddress, chainId } = JSON.parse(stdout.trim().split("\n").pop());
    expect(chainId).to.equal(31337);
    const text = readFileSync(join(dir, "agent.yml"), "utf8");
    const config = yaml.load(text);
    const agent = config.flotilla.agent;
    expect(agent).to.include({ "manager-rpc-url": RPC, ip: IP, "base-port": BASE_PORT, "data-dir": join(work, "data") });
    expect(agent.capacity["memory-mib"]).to.equal(2048);
    expect(agent.capacity["cpu-millicores"]).to.be.greaterThan(0); // detected
    // Every setting is in the file, each under a comment naming its default.
    for (const [path, fallback] of SETTINGS) {
      const value = path.split(".").reduce((o, k) => o?.[k], config);
      expect(value, path).to.not.equal(undefined);
      expect(text).to.contain(`Default: ${fallback === "" ? "(none)" : fallback}`);
    }
    for (const file of ["node-key.json", "node-key.password"]) expect(statSync(join(dir, file)).mode & 0o777, file).to.equal(0o600);
    const wallet = await ethers.Wallet.fromEncryptedJson(readFileSync(agent.keystore, "utf8"), readFileSync(agent["password-file"], "utf8").trim());
    expect(wallet.address).to.equal(nodeAddress);
    expect(JSON.parse(readFileSync(agent["address-book"], "utf8"))).to.deep.equal(JSON.parse(readFileSync(book, "utf8")));

    // A second init keeps the file unless --force, and never changes the node's key.
    let again = await init(["--ip", IP]);
    expect(again.code).to.not.equal(0);
    expect(again.stderr).to.contain("exists: keep it, or pass --force");
    again = await init(["--ip", IP, "--force"]);
    expect(again.code, again.stderr).to.equal(0);
    expect(JSON.parse(again.stdout.trim().split("\n").pop()).nodeAddress).to.equal(nodeAddress);
  });

  it("init knows every setting the agent has (its built-in defaults), with the same default", function () {
    const builtIn = yaml.load(readFileSync(join(root, "java/agent/src/main/resources/application.yml"), "utf8"));
    const leaves = (node, prefix) => Object.entries(node).flatMap(([k, v]) =>
      v !== null && typeof v === "object" ? leaves(v, `${prefix}${k}.`) : [[`${prefix}${k}`, v]]);
    const agentSettings = [...leaves(builtIn.flotilla.agent, "flotilla.agent."), ...leaves(builtIn.server, "server.")];
    const documented = new Map(SETTINGS.map(([path, fallback]) => [path, fallback]));
    for (const [path, fallback] of agentSettings) {
      expect(documented.has(path), `${path} is missing from agent.yml`).to.equal(true);
      expect(String(documented.get(path)), path).to.equal(String(fallback));
    }
    expect(SETTINGS.length, "agent.yml lists a setting the agent does not have").to.equal(agentSettings.length);
  });

  it("the agent reads agent.yml and the key init wrote", async function () {
    // Through FLOTILLA_CONFIG, as the operator commands and the service use /etc/flotilla/agent.yml.
    const nodeAddress = (await ethers.Wallet.fromEncryptedJson(readFileSync(join(dir, "node-key.json"), "utf8"),
      readFileSync(join(dir, "node-key.password"), "utf8").trim())).address;
    const { code, stdout, stderr } = await flotilla(["node", "status"], { ...process.env, FLOTILLA_CONFIG: join(dir, "agent.yml") });
    expect(code).to.not.equal(0);
    expect(stdout + stderr).to.contain(`no node is registered for ${nodeAddress.toLowerCase()}`);
  });

  it("check: one ok line per check and exit 0 on a ready server; FAIL lines and exit 1 for what is wrong", async function () {
    const configFile = join(dir, "agent.yml");
    const config = yaml.load(readFileSync(configFile, "utf8"));
    config.server.port = await freePort(); // the status API's port, free on this machine
    writeFileSync(configFile, yaml.dump(config));
    const check = () => flotilla(["node", "check", "--config", configFile]);

    let { code, stdout } = await check();
    const lines = stdout.trim().split("\n");
    for (const name of ["node key", "docker", "cgroups", "cpu", "memory", "disk", "ports", "ethereum", "clock", "addresses"]) {
      expect(lines.find((l) => l.slice(6).startsWith(name)), `${name} in\n${stdout}`).to.match(/^ok /);
    }
    expect(lines.at(-1)).to.equal("node check: ready");
    expect(code, stdout).to.equal(0);

    // A port of the node's range taken by another program.
    const squatter = createServer();
    await new Promise((r) => squatter.listen(BASE_PORT + 5, IP, r));
    try {
      ({ code, stdout } = await check());
    } finally {
      squatter.close();
    }
    expect(code).to.equal(1);
    expect(stdout).to.match(new RegExp(`^FAIL  ports +in use: ${IP.replaceAll(".", "\\.")}:${BASE_PORT + 5}$`, "m"));

    // An address book that does not match the contracts on chain, then one of another chain.
    const copy = yaml.load(readFileSync(configFile, "utf8")).flotilla.agent["address-book"];
    const original = readFileSync(copy, "utf8");
    const wrong = JSON.parse(original);
    [wrong.contracts.NodeRegistry.address, wrong.contracts.ImageRegistry.address] = [wrong.contracts.ImageRegistry.address, wrong.contracts.NodeRegistry.address];
    writeFileSync(copy, JSON.stringify(wrong));
    ({ code, stdout } = await check());
    expect(code).to.equal(1);
    expect(stdout).to.match(/^FAIL  addresses .*SidechainManager\.nodes\(\) is not the book's NodeRegistry/m);
    writeFileSync(copy, JSON.stringify({ ...JSON.parse(original), chainId: 11155111 }));
    ({ code, stdout } = await check());
    expect(code).to.equal(1);
    expect(stdout).to.match(/^FAIL  ethereum .* is on chain 31337, the address book is for chain 11155111$/m);
    writeFileSync(copy, original);

    // An IP that is not this server's, and an endpoint that does not answer.
    const elsewhere = { ...config, flotilla: { agent: { ...config.flotilla.agent, ip: "192.0.2.1", "manager-rpc-url": `http://127.0.0.1:${await freePort()}` } } };
    writeFileSync(configFile, yaml.dump(elsewhere));
    ({ code, stdout } = await check());
    expect(code).to.equal(1);
    expect(stdout).to.match(/^FAIL  ports .*192\.0\.2\.1 is not an address of this server/m);
    expect(stdout).to.match(/^FAIL  ethereum .*no answer/m);
    writeFileSync(configFile, yaml.dump(config));
  });

  it("install-service writes the agent jar and a systemd unit that systemd-analyze verify accepts", async function () {
    const target = join(work, "root");
    const { code, stdout, stderr } = await flotilla(["node", "install-service", "--root", target, "--no-start"],
      { ...process.env, FLOTILLA_CONFIG: join(dir, "agent.yml") });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain("flotilla-agent.service");
    const unitFile = join(target, "etc/systemd/system/flotilla-agent.service");
    const unit = readFileSync(unitFile, "utf8");
    expect(unit).to.not.contain("@");
    expect(unit).to.match(/^ExecStart=\S+\/bin\/java .* -jar \/opt\/flotilla\/flotilla-agent\.jar run --spring\.config\.additional-location=file:\S+\/agent\.yml$/m);
    expect(unit).to.contain(`ReadWritePaths=${join(work, "data")}`);
    expect(unit).to.match(/^User=root$/m);
    expect(existsSync(join(target, "opt/flotilla/flotilla-agent.jar"))).to.equal(true);
    let analyze;
    try {
      analyze = execFileSync("sh", ["-c", "command -v systemd-analyze"], { encoding: "utf8" }).trim();
    } catch {
      this.skip(); // systemd-analyze is not installed: the unit's content was checked above
    }
    const verified = await run(analyze, ["verify", unitFile]);
    expect(verified.code, verified.stderr).to.equal(0);
    expect(verified.stderr).to.not.match(/flotilla-agent\.service:\d+:/); // no complaint about a line of the unit
    // The same check fails on a broken unit, so it is not a check that cannot fail.
    const broken = join(work, "broken.service");
    copyFileSync(unitFile, broken);
    writeFileSync(broken, readFileSync(broken, "utf8").replace(/^ExecStart=\S+/m, "ExecStart=/nonexistent/java"));
    expect((await run(analyze, ["verify", broken])).code).to.not.equal(0);
  });

  it("the agent's container image runs the agent on agent.yml and the node key", async function () {
    const tag = `flotilla/agent:test-${process.pid}`;
    const built = await flotilla(["node", "build-image", tag]);
    expect(built.code, built.stderr).to.equal(0);
    try {
      // The image runs as uid 65534: the operator gives it the key (docs/agent.md, "The agent in a container").
      for (const file of [dir, ...readdirSync(dir).map((f) => join(dir, f))]) chownSync(file, 65534, 65534);
      const nodeAddress = JSON.parse(readFileSync(join(dir, "node-key.json"), "utf8")).address.toLowerCase();
      const { code, stdout, stderr } = await run("docker", ["run", "--rm", "--name", `flotilla-agent-test-${process.pid}`,
        "--network", "host", "-v", `${dir}:${dir}:ro`, tag, "node", "status", `--spring.config.additional-location=file:${join(dir, "agent.yml")}`]);
      expect(code).to.equal(2);
      expect(stdout + stderr).to.contain(`no node is registered for 0x${nodeAddress.replace(/^0x/, "")}`);

      // The service, as docs/agent.md runs it: host network, the Docker socket (its group), data-dir at the same path.
      const data = yaml.load(readFileSync(join(dir, "agent.yml"), "utf8")).flotilla.agent["data-dir"];
      execFileSync("mkdir", ["-p", data]);
      chownSync(data, 65534, 65534);
      const statusPort = await freePort();
      const started = await run("docker", ["run", "-d", "--name", `flotilla-agent-test-${process.pid}`, "--network", "host",
        "--user", `65534:${statSync("/var/run/docker.sock").gid}`, "-v", "/var/run/docker.sock:/var/run/docker.sock",
        "-v", `${dir}:${dir}:ro`, "-v", `${data}:${data}`, tag, "run", `--spring.config.additional-location=file:${join(dir, "agent.yml")}`,
        `--server.port=${statusPort}`, "--server.address=127.0.0.1"]);
      expect(started.code, started.stderr).to.equal(0);
      let status;
      for (const end = Date.now() + 120_000; Date.now() < end && !status;) {
        status = await fetch(`http://127.0.0.1:${statusPort}/api/v1/node`).then((r) => r.json(), () => undefined);
        if (!status) await new Promise((r) => setTimeout(r, 1000));
      }
      const logs = await run("docker", ["logs", `flotilla-agent-test-${process.pid}`]);
      expect(status, logs.stdout + logs.stderr).to.not.equal(undefined);
      // It reached the Docker engine through the socket: no problem names Docker.
      expect(JSON.stringify(status), logs.stdout + logs.stderr).to.not.match(/docker/i);
    } finally {
      await run("docker", ["rm", "-f", `flotilla-agent-test-${process.pid}`]);
      await run("docker", ["rmi", "-f", tag]);
    }
  });
});
