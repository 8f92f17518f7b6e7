// Global and per-source-address connection caps, checked when a socket is accepted. A box fleet
// behind one NAT can legitimately share an address, so the per-address cap is a separate knob.

export type CapRejection = 'cap-global' | 'cap-address';

export class ConnectionCaps {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(
    readonly maxConnections: number,
    readonly maxPerAddress: number,
  ) {}

  get current(): number {
    return this.total;
  }

  /** Claims a slot for `address`, or says which cap refused it. */
  acquire(address: string): CapRejection | null {
    if (this.total >= this.maxConnections) return 'cap-global';
    const n = this.byAddress.get(address) ?? 0;
    if (n >= this.maxPerAddress) return 'cap-address';
    this.byAddress.set(address, n + 1);
    this.total++;
    return null;
  }

  release(address: string): void {
    const n = this.byAddress.get(address);
    if (n === undefined) return;
    if (n <= 1) this.byAddress.delete(address);
    else this.byAddress.set(address, n - 1);
    this.total--;
  }
}
