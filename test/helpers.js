// Shared fixtures for the contract tests: a deployed network, validators with stake, and nodes whose keys
// are real secp256k1 wallets (the node key signs its link to the validator and its public key is checked).
import { deployFlotilla, defaultSettings } from "../deploy/flotilla.js";

export const SUBNODE = "subnode";
export const DIGEST_1 = "0x" + "11".repeat(32);
export const DIGEST_2 = "0x" + "22".repeat(32);
export const HOUR = 3600;
export const DAY = 24 * HOUR;

/** A deterministic wallet for node or validator number `i` of a test. */
export function walletFor(ethers, label, i) {
  return new ethers.Wallet(ethers.id(`flotilla-test-${label}-${i}`), ethers.provider);
}

/** The 64-byte public key the node registry expects (uncompressed, without the 0x04 prefix). */
export function publicKeyOf(wallet) {
  return "0x" + wallet.signingKey.publicKey.slice(4);
}

/** Node parameters for node number `i`, each on its own loopback address. */
export function nodeParams(wallet, i, overrides = {}) {
  return {
    name: `node-${i}`,
    ip: "0x" + [127, 0, (i >> 8) & 0xff, (i & 0xff)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    basePort: 10000,
    publicKey: publicKeyOf(wallet),
    domain: `node-${i}.flotilla.test`,
    capacity: { cpuMillicores: 8000, memoryMiB: 32768, diskGiB: 512 },
    ...overrides,
  };
}

export async function deployFixture(ethers) {
  const [admin, developer, other] = await ethers.getSigners();
  const settings = defaultSettings(ethers);
  const contracts = await deployFlotilla(ethers, admin, settings);
  await (await contracts.images.publish("1.0.0", DIGEST_1, SUBNODE)).wait();
  return { admin, developer, other, settings, ...contracts };
}

/** Registers `count` validators (funded wallets) with `stake` each; returns their wallets and ids. */
export async function addValidators(ctx, ethers, networkHelpers, count, stake = ethers.parseEther("100"), label = "validator") {
  const out = [];
  for (let i = 0; i < count; i++) {
    const wallet = walletFor(ethers, label, i);
    await networkHelpers.setBalance(wallet.address, stake + ethers.parseEther("10"));
    await (await ctx.validators.connect(wallet).registerValidator(`${label}-${i}`, 500, { value: stake })).wait();
    out.push({ wallet, id: await ctx.validators.validatorIdOf(wallet.address) });
  }
  return out;
}

/** Links a node key to `validator` and creates the node; returns { wallet, id }. */
export async function addNode(ctx, ethers, networkHelpers, validator, i, overrides = {}) {
  const wallet = walletFor(ethers, "node", i);
  await networkHelpers.setBalance(wallet.address, ethers.parseEther("10"));
  const message = await ctx.validators.linkMessage(validator.id);
  const signature = await wallet.signMessage(ethers.getBytes(message));
  await (await ctx.validators.connect(validator.wallet).linkNodeAddress(wallet.address, signature)).wait();
  await (await ctx.nodes.connect(wallet).createNode(nodeParams(wallet, i, overrides))).wait();
  return { wallet, id: await ctx.nodes.nodeIdOf(wallet.address), validator };
}

/** Creates `nodeCount` nodes spread round-robin over `validatorCount` validators. */
export async function addNetwork(ctx, ethers, networkHelpers, nodeCount, validatorCount = nodeCount) {
  const validators = await addValidators(ctx, ethers, networkHelpers, validatorCount, ethers.parseEther("100"), "net-validator");
  const nodes = [];
  for (let i = 0; i < nodeCount; i++) {
    nodes.push(await addNode(ctx, ethers, networkHelpers, validators[i % validatorCount], i));
  }
  return { validators, nodes };
}

export function options(imageVersion = "1.0.0", consensus = "bft") {
  return { consensus, imageVersion };
}

/** Creates chain `name` of `type` for `lifetime` seconds, paying the exact price, and finalizes its draw. */
export async function createChain(ctx, signer, name, type = "dev4", lifetime = 90 * DAY) {
  const price = await ctx.manager.priceOf(type, lifetime);
  await (await ctx.manager.connect(signer).createSidechain(name, type, lifetime, options(), { value: price })).wait();
  const chainId = await ctx.manager.chainIdOf(name);
  await finalize(ctx, chainId);
  return chainId;
}

/** Finalizes the pending draw of `chainId` (from a later block than its request, as the contract requires). */
export async function finalize(ctx, chainId, signer = undefined) {
  const manager = signer ? ctx.manager.connect(signer) : ctx.manager;
  const receipt = await (await manager.finalizeDraw(chainId)).wait();
  return receipt;
}

/** Finalizes every pending draw of the chains node `nodeId` serves. */
export async function finalizeNode(ctx, nodeId) {
  for (const p of await ctx.nodes.placementsOf(nodeId)) {
    if ((await ctx.manager.pendingDraw(p.chainId)).kind !== 0n) await finalize(ctx, p.chainId);
  }
}
