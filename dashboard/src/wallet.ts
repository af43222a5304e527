// The owner's wallet: whatever EIP-1193 provider the browser injects (window.ethereum). On the devnet, where the
// server hands out the developer's public Hardhat key, a small shim is injected when no wallet is present, so that
// the page's writes take exactly the same path as with a browser wallet.
import { BrowserProvider, JsonRpcProvider, Wallet, toBeHex } from "ethers";

export type Eip1193 = { request(args: { method: string; params?: unknown[] | object }): Promise<unknown>; isFlotillaDevnet?: boolean };

declare global {
  interface Window {
    ethereum?: Eip1193;
  }
}

/** An EIP-1193 provider that signs with `privateKey` and sends everything else to `rpc`. */
export function devnetProvider(privateKey: string, rpc: JsonRpcProvider, chainId: number): Eip1193 {
  const wallet = new Wallet(privateKey, rpc);
  return {
    isFlotillaDevnet: true,
    async request({ method, params }) {
      const p = (params ?? []) as any[];
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [wallet.address];
        case "eth_chainId":
          return toBeHex(chainId);
        case "eth_sendTransaction": {
          const tx = p[0];
          if (tx.from && tx.from.toLowerCase() !== wallet.address.toLowerCase()) {
            throw Object.assign(new Error(`the devnet wallet holds only ${wallet.address}`), { code: 4100 });
          }
          const sent = await wallet.sendTransaction({
            to: tx.to, data: tx.data, value: tx.value ? BigInt(tx.value) : 0n, gasLimit: tx.gas ? BigInt(tx.gas) : undefined,
          });
          return sent.hash;
        }
        case "personal_sign":
        case "eth_sign":
        case "eth_signTypedData_v4":
          throw Object.assign(new Error(`the devnet wallet does not sign messages (${method})`), { code: 4200 });
        default:
          return rpc.send(method, p);
      }
    },
  };
}

/** Installs the devnet shim when the server offers the key and the browser has no wallet of its own. */
export async function injectDevnetWallet(enabled: boolean, rpc: JsonRpcProvider, chainId: number) {
  if (!enabled || window.ethereum) return;
  const res = await fetch("/devnet/wallet.json");
  if (!res.ok) return;
  const { privateKey } = await res.json();
  window.ethereum = devnetProvider(privateKey, rpc, chainId);
}

/** The connected account's signer, or null without a wallet. */
export async function signer() {
  if (!window.ethereum) return null;
  const provider = new BrowserProvider(window.ethereum);
  await provider.send("eth_requestAccounts", []);
  return provider.getSigner();
}
