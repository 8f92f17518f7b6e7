// Field 39 response codes of the box protocol (box-protocol.md §8), named so that a handler reads
// `RC.MAC_ERROR` rather than a bare 'A0'.

export const RC = Object.freeze({
  APPROVED: '00',
  INVALID_MERCHANT: '03',
  DECLINED: '05',
  IN_PROGRESS: '09',
  INVALID_TRANSACTION: '12',
  INVALID_AMOUNT: '13',
  INVALID_PAYMENT_CODE: '14',
  SIGN_ON_AGAIN: '22',
  ORIGINAL_NOT_FOUND: '25',
  FORMAT_ERROR: '30',
  FUNCTION_NOT_SUPPORTED: '40',
  INSUFFICIENT_FUNDS: '51',
  NOT_PERMITTED: '58',
  EXCEEDS_AMOUNT_LIMIT: '61',
  REFUND_EXCEEDS_ORIGINAL: '64',
  EXCEEDS_FREQUENCY_LIMIT: '65',
  BATCH_MISMATCH: '77',
  WALLET_UNAVAILABLE: '91',
  DUPLICATE: '94',
  SYSTEM_MALFUNCTION: '96',
  TERMINAL_NOT_REGISTERED: '97',
  WALLET_TIMEOUT_UNKNOWN: '98',
  MAC_ERROR: 'A0',
} as const);

export type ResponseCode = (typeof RC)[keyof typeof RC];
