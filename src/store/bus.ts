// The node bus: a fire-and-forget message between the boxfep nodes that share one store. Used to
// hand a 0620 push to the node its box is connected to. On Redis it is pub/sub (a message reaches the
// nodes subscribed at that moment and is lost otherwise), so it only ever speeds things up: the
// store's push index stays the truth, and every node's push pass finds what a lost message missed.
import { EventEmitter } from 'node:events';
import { RedisStore } from './redis.js';
import type { Store } from './store.js';

export interface NodeBus {
  /** Best effort: resolves false when the message could not be published (store down). */
  publish(channel: string, message: string): Promise<boolean>;
  /**
   * Calls `onMessage` for every message on `channel`, this node's own included. `onReady` runs each
   * time the subscription is (re-)established, e.g. after a Redis outage. Returns the unsubscribe.
   */
  subscribe(channel: string, onMessage: (message: string) => void, onReady?: () => void): () => Promise<void>;
}

/** One process, one bus: nodes embedded in the same process over one MemoryStore share it. */
export class LocalBus implements NodeBus {
  private readonly events = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<boolean> {
    // Delivered on a later tick, like a network bus: a publisher never re-enters its own handler.
    setImmediate(() => this.events.emit(channel, message));
    return true;
  }

  subscribe(channel: string, onMessage: (message: string) => void, onReady?: () => void): () => Promise<void> {
    this.events.on(channel, onMessage);
    if (onReady) setImmediate(onReady);
    return async () => {
      this.events.off(channel, onMessage);
    };
  }
}

class RedisBus implements NodeBus {
  constructor(private readonly store: RedisStore) {}

  async publish(channel: string, message: string): Promise<boolean> {
    try {
      await this.store.publish(channel, message);
      return true;
    } catch {
      return false;
    }
  }

  subscribe(channel: string, onMessage: (message: string) => void, onReady?: () => void): () => Promise<void> {
    return this.store.subscribe(channel, onMessage, onReady);
  }
}

const localBuses = new WeakMap<Store, LocalBus>();

/** The bus between the nodes sharing `store`: Redis pub/sub, or in-process for the memory store. */
export function busFor(store: Store): NodeBus {
  if (store instanceof RedisStore) return new RedisBus(store);
  let bus = localBuses.get(store);
  if (!bus) {
    bus = new LocalBus();
    localBuses.set(store, bus);
  }
  return bus;
}
