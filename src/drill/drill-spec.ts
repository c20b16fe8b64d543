import { z } from 'zod';
import { faultSpecSchema } from '../simulator/fault-spec.ts';
import { strategySchema } from '../config/schema.ts';

/**
 * A drill file (docs/operations.md, "Drills"): the simulator and gateway to use, the load, the
 * naive-client baseline, the fault timeline and the goals. Key names are snake_case like the config.
 */

const positive = z.number().positive();

const simulatorSchema = z
  .object({
    /** A running simulator; absent: one is started in this process. */
    url: z.url().optional(),
    /** Seed of an in-process simulator (default 1). */
    seed: z.number().int().nonnegative().default(1),
    /** Latency scale of an in-process simulator (default 1 = realistic; 0 = instant). */
    latency_scale: z.number().nonnegative().default(1),
  })
  .strict();

const gatewaySchema = z
  .object({
    /** A running gateway serving `config`; absent: one is started in this process (needs no url). */
    url: z.url().optional(),
    /**
     * The gateway config (a config file's content). Absent `providers`: the simulator's (see
     * docs/operations.md); absent `database`: in memory. Validated like a config file.
     */
    config: z.record(z.string(), z.unknown()),
    /** Overrides every group's `strategy` (to compare strategies on one timeline). */
    strategy: strategySchema.optional(),
  })
  .strict();

const loadSchema = z
  .object({
    /** Requests started per second (open loop). One of rate and concurrency. */
    rate: positive.optional(),
    /** Requests in flight at all times (closed loop). */
    concurrency: z.number().int().positive().optional(),
    /** The model group requested. */
    model: z.string().min(1),
    /** Share of requests streamed, 0..1 (default 0.5). */
    stream_share: z.number().min(0).max(1).default(0.5),
    /** Keys to send, round robin (tenants); default: every key of every tenant in the gateway config. */
    keys: z.array(z.string().min(8)).min(1).optional(),
    /** Approximate prompt size in tokens (default 100). */
    prompt_tokens: z.number().int().positive().default(100),
    /** Answer size limit in tokens, sent as the max tokens (default 64). */
    answer_tokens: z.number().int().positive().default(64),
    /** Client timeout per request in seconds (default 60); the gateway client never retries. */
    timeout_s: positive.default(60),
  })
  .strict()
  .superRefine((load, context) => {
    if ((load.rate === undefined) === (load.concurrency === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['rate'],
        message: 'give exactly one of rate and concurrency',
      });
    }
  });

const naiveSchema = z
  .object({
    /** The official SDK: bedrock (AWS SDK BedrockRuntimeClient) or openai (the openai package). */
    sdk: z.enum(['bedrock', 'openai']),
    /** A provider of the gateway config: its endpoint, region and credentials are used directly. */
    provider: z.string().min(1),
    /** The provider's model id called. */
    model: z.string().min(1),
  })
  .strict();

const phaseSchema = z
  .object({
    name: z.string().min(1),
    start_s: z.number().nonnegative(),
    end_s: positive,
    /** Simulator faults in force during the phase (the simulator's fault spec, without duration_ms). */
    faults: z.array(faultSpecSchema).default([]),
    /** Whether healthy capacity exists (default: some route of the group chain has no fault). */
    capacity: z.boolean().optional(),
  })
  .strict();

const goalsSchema = z
  .object({
    /** Gateway success rate in every phase with capacity (default 0.999). */
    availability: z.number().min(0).max(1).default(0.999),
    /** Time to first token p99 of each fault phase over the first fault-free phase's (default 1.5). */
    ttft_p99_ratio: positive.default(1.5),
    /** Cost over the cheapest feasible route's (default 1.1). */
    cost_ratio: positive.default(1.1),
  })
  .strict();

export const drillSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    simulator: simulatorSchema.default({ seed: 1, latency_scale: 1 }),
    gateway: gatewaySchema,
    load: loadSchema,
    /** The baseline: the same load through one deployment with the SDK's defaults; absent: none. */
    naive: naiveSchema.optional(),
    phases: z.array(phaseSchema).min(1),
    goals: goalsSchema.default({ availability: 0.999, ttft_p99_ratio: 1.5, cost_ratio: 1.1 }),
  })
  .strict()
  .superRefine((drill, context) => {
    let previousEnd = 0;
    drill.phases.forEach((phase, index) => {
      if (phase.start_s !== previousEnd) {
        const expected =
          index === 0 ? 'the first phase starts at 0' : `the previous phase ends at ${previousEnd}`;
        context.addIssue({
          code: 'custom',
          path: ['phases', index, 'start_s'],
          message: `phases must follow each other without gaps: ${expected}`,
        });
      }
      if (phase.end_s <= phase.start_s) {
        context.addIssue({
          code: 'custom',
          path: ['phases', index, 'end_s'],
          message: 'must be after start_s',
        });
      }
      phase.faults.forEach((fault, faultIndex) => {
        if (fault.duration_ms !== undefined) {
          context.addIssue({
            code: 'custom',
            path: ['phases', index, 'faults', faultIndex, 'duration_ms'],
            message: 'a phase fault lasts as long as its phase (set end_s instead)',
          });
        }
      });
      previousEnd = phase.end_s;
    });
    if (drill.gateway.url !== undefined && drill.simulator.url === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['gateway', 'url'],
        message: 'a running gateway needs simulator.url (the simulator it calls)',
      });
    }
  });

/** A drill file's content before validation. */
export type DrillInput = z.input<typeof drillSchema>;
/** A validated drill. */
export type Drill = z.output<typeof drillSchema>;
/** One phase of the timeline. */
export type DrillPhase = Drill['phases'][number];
