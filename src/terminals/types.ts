// The terminal and merchant records every part of boxfep agrees on. Keys are never clear here:
// `KeyBlob` is a key encrypted under the local master key, opaque outside src/crypto.

/** Hex of a key encrypted under the LMK, in the crypto layer's own format (with its check value). */
export type KeyBlob = string;

export type TerminalStatus = 'active' | 'disabled';
export type KeyMode = 'session' | 'dukpt-tdes' | 'dukpt-aes';
export type TerminalMacAlgorithm = 'cups-ecb' | 'x9.19';
export type WalletCode = 'WX' | 'AL' | 'UP';

export interface MerchantLimits {
  /** Largest single sale, in fen; absent = no limit. */
  perTransactionMaxFen?: number;
  /** Sum of approved sales per calendar day (Asia/Shanghai), in fen. */
  dailyAmountMaxFen?: number;
  /** Number of sales per calendar day. */
  dailyCountMax?: number;
}

/** The merchant's account at one wallet: whatever that wallet's API calls the payee. */
export interface WalletAccount {
  appId: string;
  merchantId: string;
  /** Optional sub-merchant (service-provider mode). */
  subMerchantId?: string;
}

export interface MerchantRecord {
  mid: string;
  name: string;
  limits: MerchantLimits;
  wallets: Partial<Record<WalletCode, WalletAccount>>;
}

export interface TerminalRecord {
  /** Field 41, 8 characters. */
  tid: string;
  /** Field 42, 15 characters. */
  mid: string;
  /** Hardware serial as sent in 59.A2, when known. */
  serial?: string;
  status: TerminalStatus;
  keyMode: KeyMode;
  mac: TerminalMacAlgorithm;
  /** Terminal master key under the LMK (key mode `session`). */
  tmk?: KeyBlob;
  /** Base derivation key under the LMK (DUKPT key modes). */
  bdk?: KeyBlob;
  /** boxfep's current batch number for this terminal, 6 digits. */
  batch: string;
  merchant: MerchantRecord;
  createdAt: number;
  updatedAt: number;
}

/** Working keys issued at sign-on, each under the LMK. */
export interface SessionKeys {
  mak: KeyBlob;
  pik: KeyBlob;
  tdk?: KeyBlob;
  /** Epoch ms when issued; older than the key lifetime → header requirement 3. */
  issuedAt: number;
}
