// Terminal identities shared by the bench's driver and its target process.
export const LMK = Buffer.alloc(32, 0x5a);
export const TMK = '0123456789ABCDEFFEDCBA9876543210';
export const MID = '123456789012345';
export const tidOf = (i: number) => String(40_000_000 + i);
