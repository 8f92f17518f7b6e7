export { type Boxfep, type BoxfepOptions, startBoxfep, timingFrom } from './boxfep.js';
export {
  createWallets,
  SANDBOX_ACCOUNTS,
  type Sandboxes,
  type SandboxSettings,
  type WalletEndpoints,
} from './wallets.js';
