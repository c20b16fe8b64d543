import type { MessagePort } from 'node:worker_threads';
import type { ConfigProblem } from '../config/load-config.ts';
import type { SpillwayConfig } from '../config/schema.ts';
import type { HistorySnapshot } from '../dashboard/merge-history.ts';
import type { WorkerMetrics } from '../telemetry/merge-metrics.ts';

/**
 * What the main thread and its worker threads (`server.workers` > 1) say to each other: worker-pool.ts
 * (the main thread) and worker-thread.ts (each worker). Everything here crosses threads by
 * structured clone.
 */

/** What a worker thread is started with. */
export interface WorkerData {
  readonly config: SpillwayConfig;
  readonly index: number;
  readonly count: number;
  readonly port: number;
  readonly host: string;
  /** The process's replica id: its workers are one replica. */
  readonly replicaId: string;
  readonly spoolDirectory: string;
  readonly accessLog: boolean | undefined;
  /** The main thread's state store (absent with Redis: the worker connects itself). */
  readonly statePort: MessagePort | undefined;
  /** False while the process starts: /health/ready says down until the main thread sends 'serving'. */
  readonly serving: boolean;
}

export type FromWorker =
  | { readonly kind: 'ready'; readonly port: number; readonly requiresKeys: boolean }
  | { readonly kind: 'failed'; readonly message: string; readonly setting: string | undefined }
  /** The dashboard of the worker that sends it needs every worker's metrics or history. */
  | { readonly kind: 'gather'; readonly id: number; readonly what: 'metrics' }
  | { readonly kind: 'gather'; readonly id: number; readonly what: 'history'; readonly rangeMs: number }
  | { readonly kind: 'history'; readonly id: number; readonly snapshot: HistorySnapshot }
  | { readonly kind: 'metrics'; readonly id: number; readonly metrics: WorkerMetrics }
  | {
      readonly kind: 'reloaded';
      readonly id: number;
      readonly error:
        { readonly message: string; readonly problems: readonly ConfigProblem[] | undefined } | undefined;
      readonly requiresKeys: boolean;
      readonly config: SpillwayConfig;
    }
  | { readonly kind: 'closed' };

export type ToWorker =
  | { readonly kind: 'collect'; readonly id: number }
  | { readonly kind: 'collect-history'; readonly id: number; readonly rangeMs: number }
  | {
      readonly kind: 'gathered';
      readonly id: number;
      readonly metrics: readonly WorkerMetrics[];
      /** Each worker's history, with its index (the asking worker's own read frames the merge). */
      readonly history: readonly { readonly index: number; readonly snapshot: HistorySnapshot }[];
    }
  | {
      readonly kind: 'reload';
      readonly id: number;
      readonly config: SpillwayConfig;
      readonly actor: string;
      readonly audit: boolean;
    }
  | { readonly kind: 'drain' }
  /** Every worker of the process listens: /health/ready may say ready. */
  | { readonly kind: 'serving' };
