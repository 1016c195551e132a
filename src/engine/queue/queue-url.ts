/**
 * The --queue / privacyLint.queue.url value: a redis:// (or TLS rediss://) URL of the
 * Redis server that holds the shadow-job queue. Checked here so a typo is a clear input
 * error before anything connects.
 */
import { InputError } from '../errors';

export interface QueueTarget {
  /** The URL as given, handed to BullMQ's connection. */
  url: string;
  host: string;
  port: number;
}

const DEFAULT_REDIS_PORT = 6379;

/** `source` names where the value came from (e.g. "--queue") for the error. */
export function parseQueueUrl(value: string, source = '--queue'): QueueTarget {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new InputError(`expected a Redis URL like redis://HOST:PORT, found ${JSON.stringify(value)}`, { file: source });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InputError(`expected a redis:// or rediss:// URL, found the scheme "${parsed.protocol}"`, { file: source });
  }
  if (parsed.hostname === '') throw new InputError(`the URL ${JSON.stringify(value)} names no host`, { file: source });
  const port = parsed.port === '' ? DEFAULT_REDIS_PORT : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InputError(`the port of ${JSON.stringify(value)} is not in 1..65535`, { file: source });
  }
  return { url: value, host: parsed.hostname, port };
}

interface QueueConnection {
  url: string;
  maxRetriesPerRequest: null;
  connectTimeout: number;
  retryStrategy: (attempt: number) => number | null;
}

/** Longest pause between reconnect attempts: a restarted Redis is found again within this. */
const MAX_RECONNECT_DELAY_MS = 2000;

/**
 * Connection options for every BullMQ object (Queue, Worker, QueueEvents). Reconnects
 * every 0.5 to 2 s (BullMQ's default backs off to 20 s) until `stopReconnecting` says so:
 * a client that reconnects forever would keep a finished CLI process alive.
 */
export function connectionOf(target: QueueTarget, stopReconnecting: () => boolean = () => false): QueueConnection {
  return {
    url: target.url,
    // BullMQ's blocking commands must wait through a reconnect, not fail.
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (stopReconnecting() ? null : Math.min(500 * attempt, MAX_RECONNECT_DELAY_MS)),
  };
}
