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

/** Deploys implementation `name` and an ERC1967Proxy initialized with `initArgs`; returns the proxied contract. */
export async function deployProxy(ethers, name, initArgs) {
  const implementation = await ethers.deployContract(name);
  await implementation.waitForDeployment();
  const data = implementation.interface.encodeFunctionData("initialize", initArgs);
  const proxy = await ethers.deployContract("ERC1967Proxy", [await implementation.getAddress(), data]);
  await proxy.waitForDeployment();
  return ethers.getContractAt(name, await proxy.getAddress());
}

/**
 * Deploys ValidatorRegistry, NodeRegistry, ImageRegistry and SidechainManager with `admin` holding every
 * admin role, grants the contract-to-contract roles, and returns the four contracts.
 */
export async function deployFlotilla(ethers, admin, settings = defaultSettings(ethers)) {
  const adminAddress = await admin.getAddress();
  const validators = await deployProxy(ethers, "ValidatorRegistry", [
    adminAddress,
    settings.minimumStakePerNode,
    settings.unbondingDelay,
  ]);
  const images = await deployProxy(ethers, "ImageRegistry", [adminAddress]);
  const nodes = await deployProxy(ethers, "NodeRegistry", [adminAddress, await validators.getAddress()]);
  const manager = await deployProxy(ethers, "SidechainManager", [
    adminAddress,
    await nodes.getAddress(),
    await images.getAddress(),
    settings.parameters,
  ]);
  await (await validators.grantRole(await validators.NODE_REGISTRY_ROLE(), await nodes.getAddress())).wait();
  await (await nodes.grantRole(await nodes.PLACEMENT_ROLE(), await manager.getAddress())).wait();
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
export async function assignRoles(ethers, deployer, contracts, roles = {}, timelock = undefined, unbondingDelay = 0) {
  const deployerAddress = await deployer.getAddress();
  const holders = Object.fromEntries(ROLE_NAMES.map((r) => [r, ethers.getAddress(roles[r] ?? deployerAddress)]));
  const result = { ...holders, timelocks: {} };
  let adminHolder = holders.admin;
  let upgradeHolder = holders.upgrader;
  if (timelock) {
    if (!(timelock.upgradeDelay > unbondingDelay)) {
      throw new Error(`the upgrade delay (${timelock.upgradeDelay} s) must exceed the unbonding delay (${unbondingDelay} s)`);
    }
    const deployTimelock = async (delay, holder) => {
      const t = await ethers.deployContract("TimelockController", [delay, [holder], [holder], ethers.ZeroAddress], deployer);
      await t.waitForDeployment();
      return t.getAddress();
    };
    adminHolder = await deployTimelock(timelock.adminDelay, holders.admin);
    upgradeHolder = await deployTimelock(timelock.upgradeDelay, holders.upgrader);
    result.timelocks = { admin: adminHolder, upgrader: upgradeHolder, adminDelay: timelock.adminDelay, upgradeDelay: timelock.upgradeDelay };
  }
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
    if (!(await contract.hasRole(id, holder))) await (await contract.connect(deployer).grantRole(id, holder)).wait();
  }
  // Then the deployer gives up what it does not hold by right, DEFAULT_ADMIN_ROLE last on each contract.
  for (const [contract, role, holder] of [...grants].reverse()) {
    if (holder === deployerAddress) continue;
    const id = await contract[role]();
    if (await contract.hasRole(id, deployerAddress)) await (await contract.connect(deployer).renounceRole(id, deployerAddress)).wait();
  }
  return result;
}
