declare module "virtual:flotilla-abis" {
  const abis: Record<"SidechainManager" | "NodeRegistry" | "ValidatorRegistry" | "ImageRegistry", unknown[]>;
  export default abis;
}
