import type { RedisClient } from './redis-connection.ts';
import type { StateLogger } from './state-logger.ts';

interface Subscription {
  readonly handler: (message: string) => void;
}

/**
 * Pub/sub on a dedicated connection (a subscribed connection cannot run other commands). ioredis
 * queues SUBSCRIBE while the connection is down and resubscribes every channel after a reconnect
 * (`autoResubscribe`), so subscriptions survive a Redis restart.
 */
export class RedisSubscriptions {
  private readonly connection: RedisClient;
  private readonly logger: StateLogger;
  private readonly handlers = new Map<string, Set<Subscription>>();
  /** SUBSCRIBE in flight per channel, so a second subscriber waits for it too. */
  private readonly pending = new Map<string, Promise<unknown>>();

  constructor(connection: RedisClient, logger: StateLogger) {
    this.connection = connection;
    this.logger = logger;
    connection.on('message', (channel: string, message: string) => {
      this.dispatch(channel, message);
    });
  }

  private dispatch(channel: string, message: string): void {
    for (const subscription of this.handlers.get(channel) ?? []) {
      try {
        subscription.handler(message);
      } catch (error) {
        this.logger.error({ channel, err: error }, 'state store: a subscriber threw');
      }
    }
  }

  /** Adds a handler for the (full, prefixed) channel; resolves once Redis confirmed the subscription. */
  async add(channel: string, handler: (message: string) => void): Promise<() => Promise<void>> {
    const subscription: Subscription = { handler };
    const existing = this.handlers.get(channel);
    if (existing === undefined) {
      this.handlers.set(channel, new Set([subscription]));
      const subscribing = this.connection.subscribe(channel);
      this.pending.set(channel, subscribing);
      try {
        await subscribing;
      } catch (error) {
        this.handlers.delete(channel);
        throw error;
      } finally {
        this.pending.delete(channel);
      }
    } else {
      existing.add(subscription);
      await this.pending.get(channel);
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      const current = this.handlers.get(channel);
      current?.delete(subscription);
      if (current?.size === 0) {
        this.handlers.delete(channel);
        await this.connection.unsubscribe(channel);
      }
    };
  }

  /** Closes the subscriber connection. */
  async close(): Promise<void> {
    this.handlers.clear();
    await closeClient(this.connection);
  }
}

/** QUIT when connected (lets replies drain), otherwise just drop the socket. */
export async function closeClient(client: RedisClient): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // fall through: the connection went away meanwhile
    }
  }
  client.disconnect();
}
