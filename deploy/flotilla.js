// Deploys the Flotilla manager contracts behind UUPS (ERC-1967) proxies and wires their roles.
// Used by the deploy script, the contract tests and the gas benchmark, so all three run the same code.

const DAY = 24 * 60 * 60;

/** Network defaults; see docs/contracts.md for what each one means. */
export function defaultSettings(ethers) {
  return {
    minimumStakePerNode: ethers.parseEther("1"),
    unbondingDelay: 7 * DAY,
    parameters: {
      pricePerUnitSecond: ethers.parseUnits("1", "gwei"),
      minLifetime: 60 * 60,
      maxLifetime: 5 * 365 * DAY,
      rotationDelay: 10 * 60,
      rotationPeriod: 30 * DAY,
      reportWindow: 10 * 60,
    },
  };
}

/**
 * Deploys implementation `name` and an ERC1967Proxy initialized with `initArgs`; returns the proxied contract.
 * `journal`, when given, receives one entry per transaction (see `record`).
 */
export async function deployProxy(ethers, name, initArgs, journal = undefined) {
  const implementation = await ethers.deployContract(name);
  await implementation.waitForDeployment();
  const implementationAddress = await implementation.getAddress();
  await record(journal, `deploy ${name} implementation`, implementation.deploymentTransaction(), {
    contract: `contracts/${name}.sol:${name}`, address: implementationAddress, constructorArgs: [] });
  const data = implementation.interface.encodeFunctionData("initialize", initArgs);
  const proxy = await ethers.deployContract("ERC1967Proxy", [implementationAddress, data]);
  await proxy.waitForDeployment();
  await record(journal, `deploy ${name} proxy (initialize)`, proxy.deploymentTransaction(), {
    contract: "@openzeppelin/contracts/proxy/ERC1967/ERC1967Proxy.sol:ERC1967Proxy",
    address: await proxy.getAddress(), constructorArgs: [implementationAddress, data] });
  return ethers.getContractAt(name, await proxy.getAddress());
}

/**
 * Appends `{ step, hash, gasUsed, verify }` to `journal` for the mined transaction `tx` (nothing without a journal):
 * the deploy script prints it as the plan, and `verify` (the contract's source name, address and constructor
 * arguments) is what source verification needs.
 */
export async function record(journal, step, tx, verify = undefined) {
  if (!journal) return;
  const receipt = await tx.wait();
  journal.push({ step, hash: tx.hash, gasUsed: receipt.gasUsed, ...(verify ? { verify } : {}) });
}

/** The consensus engines the subnode image runs (io.flotilla.chain.consensus.KnownEngines.NAMES). */
export const SHIPPED_ENGINES = ["bft", "hotstuff"];

/**
 * Deploys ValidatorRegistry, NodeRegistry, ImageRegistry and SidechainManager with `admin` holding every
 * admin role, grants the contract-to-contract roles, enables the consensus engines the subnode ships, and returns
 * the four contracts.
 */
export async function deployFlotilla(ethers, admin, settings = defaultSettings(ethers), journal = undefined) {
  const adminAddress = await admin.getAddress();
  const validators = await deployProxy(ethers, "ValidatorRegistry", [
    adminAddress,
    settings.minimumStakePerNode,
    settings.unbondingDelay,
  ], journal);
  const images = await deployProxy(ethers, "ImageRegistry", [adminAddress], journal);
  const nodes = await deployProxy(ethers, "NodeRegistry", [adminAddress, await validators.getAddress()], journal);
  const manager = await deployProxy(ethers, "SidechainManager", [
    adminAddress,
    await nodes.getAddress(),
    await images.getAddress(),
    settings.parameters,
  ], journal);
  let tx = await validators.grantRole(await validators.NODE_REGISTRY_ROLE(), await nodes.getAddress());
  await tx.wait();
  await record(journal, "ValidatorRegistry: grant NODE_REGISTRY_ROLE to NodeRegistry", tx);
  tx = await nodes.grantRole(await nodes.PLACEMENT_ROLE(), await manager.getAddress());
  await tx.wait();
  await record(journal, "NodeRegistry: grant PLACEMENT_ROLE to SidechainManager", tx);
  // The subnode ships two consensus engines (docs/chain.md): "bft" is enabled by the initializer, "hotstuff" here.
  for (const engine of SHIPPED_ENGINES.filter((e) => e !== "bft")) {
    tx = await manager.setConsensusEngine(engine, true);
    await tx.wait();
    await record(journal, `SidechainManager: enable consensus engine ${engine}`, tx);
  }
  return { validators, nodes, images, manager };
}

const ROLE_NAMES = ["admin", "upgrader", "treasurer", "publisher", "compliance"];

/**
 * Hands the administrative roles of freshly deployed `contracts` from `deployer` to their holders and returns
 * what it did. `roles` maps admin, upgrader, treasurer, publisher and compliance to addresses (missing ones
 * default to the deployer). With `timelock` set ({ adminDelay, upgradeDelay } in seconds), DEFAULT_ADMIN_ROLE
 * goes to an OpenZeppelin TimelockController whose proposer and executor is the admin address, and
 * UPGRADER_ROLE to a second one driven by the upgrader address, so every parameter change, role grant and
 * upgrade is announced on chain and waits its delay; the upgrade delay must exceed the unbonding delay, so a
 * validator can withdraw its stake before an upgrade it does not trust takes effect. Treasurer, publisher and
 * compliance act directly. The deployer keeps no role unless it is one of the holders.
 */
export async function assignRoles(ethers, deployer, contracts, roles = {}, timelock = undefined, unbondingDelay = 0, journal = undefined) {
  const deployerAddress = await deployer.getAddress();
  const holders = Object.fromEntries(ROLE_NAMES.map((r) => [r, ethers.getAddress(roles[r] ?? deployerAddress)]));
  const result = { ...holders, timelocks: {} };
  let adminHolder = holders.admin;
  let upgradeHolder = holders.upgrader;
  if (timelock) {
    if (!(timelock.upgradeDelay > unbondingDelay)) {
      throw new Error(`the upgrade delay (${timelock.upgradeDelay} s) must exceed the unbonding delay (${unbondingDelay} s)`);
    }
    const deployTimelock = async (which, delay, holder) => {
      const args = [delay, [holder], [holder], ethers.ZeroAddress];
      const t = await ethers.deployContract("TimelockController", args, deployer);
      await t.waitForDeployment();
      await record(journal, `deploy the ${which} TimelockController (delay ${delay} s)`, t.deploymentTransaction(), {
        contract: "@openzeppelin/contracts/governance/TimelockController.sol:TimelockController",
        address: await t.getAddress(), constructorArgs: args });
      return t.getAddress();
    };
    adminHolder = await deployTimelock("admin", timelock.adminDelay, holders.admin);
    upgradeHolder = await deployTimelock("upgrader", timelock.upgradeDelay, holders.upgrader);
    result.timelocks = { admin: adminHolder, upgrader: upgradeHolder, adminDelay: timelock.adminDelay, upgradeDelay: timelock.upgradeDelay };
  }
  const nameOf = (contract) => CONTRACT_NAMES[Object.keys(contracts).find((k) => contracts[k] === contract)];
  const who = new Map([
    [holders.treasurer, "the treasurer"], [holders.publisher, "the publisher"], [holders.compliance, "the compliance holder"],
    [upgradeHolder, timelock ? "the upgrader timelock" : "the upgrader"], [adminHolder, timelock ? "the admin timelock" : "the admin"],
  ]);
  const grants = [
    [contracts.validators, "DEFAULT_ADMIN_ROLE", adminHolder],
    [contracts.nodes, "DEFAULT_ADMIN_ROLE", adminHolder],
    [contracts.images, "DEFAULT_ADMIN_ROLE", adminHolder],
    [contracts.manager, "DEFAULT_ADMIN_ROLE", adminHolder],
    [contracts.validators, "UPGRADER_ROLE", upgradeHolder],
    [contracts.nodes, "UPGRADER_ROLE", upgradeHolder],
    [contracts.images, "UPGRADER_ROLE", upgradeHolder],
    [contracts.manager, "UPGRADER_ROLE", upgradeHolder],
    [contracts.manager, "TREASURER_ROLE", holders.treasurer],
    [contracts.images, "PUBLISHER_ROLE", holders.publisher],
    [contracts.nodes, "COMPLIANCE_ROLE", holders.compliance],
  ];
  for (const [contract, role, holder] of grants) {
    const id = await contract[role]();
    if (!(await contract.hasRole(id, holder))) {
      const tx = await contract.connect(deployer).grantRole(id, holder);
      await tx.wait();
      await record(journal, `${nameOf(contract)}: grant ${role} to ${who.get(holder)}`, tx);
    }
  }
  // Then the deployer gives up what it does not hold by right, DEFAULT_ADMIN_ROLE last on each contract.
  for (const [contract, role, holder] of [...grants].reverse()) {
    if (holder === deployerAddress) continue;
    const id = await contract[role]();
    if (await contract.hasRole(id, deployerAddress)) {
      const tx = await contract.connect(deployer).renounceRole(id, deployerAddress);
      await tx.wait();
      await record(journal, `${nameOf(contract)}: the deployer renounces ${role}`, tx);
    }
  }
  return result;
}

const CONTRACT_NAMES = { validators: "ValidatorRegistry", nodes: "NodeRegistry", images: "ImageRegistry", manager: "SidechainManager" };
