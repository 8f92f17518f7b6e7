// Bounds the commands a store has in flight. Callers beyond the bound wait in a short FIFO; beyond
// that they are refused at once (StoreUnavailableError 'overloaded') rather than queued without end.
import { StoreUnavailableError } from './errors.js';

export class InFlightLimit {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(
    readonly max: number,
    readonly maxWaiting: number = max,
  ) {}

  get active(): number {
    return this.#active;
  }

  acquire(): Promise<void> | undefined {
    if (this.#active < this.max) {
      this.#active++;
      return undefined;
    }
    if (this.#waiting.length >= this.maxWaiting) {
      throw new StoreUnavailableError(`store overloaded: ${this.#active} commands in flight`, 'overloaded');
    }
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active--;
  }
}
