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
