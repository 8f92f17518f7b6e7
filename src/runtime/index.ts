export { type Boxfep, type BoxfepOptions, startBoxfep, storeOptionsFrom, timingFrom } from './boxfep.js';
export {
  createWallets,
  SANDBOX_ACCOUNTS,
  type Sandboxes,
  type SandboxSettings,
  type WalletEndpoints,
} from './wallets.js';
export { loadWalletsFile, parseWalletsFile } from './wallets-file.js';
