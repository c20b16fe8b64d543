/**
 * The V8 heap settings a gateway runs with (docs/performance.md, "Footprint"). One place for them:
 * `bin/spillway.js` (plain JavaScript, re-execs with `gatewayNodeFlags`; a test keeps its copy equal),
 * the Dockerfile's entry point, and worker threads, whose isolates take the same sizes through
 * `resourceLimits` (a worker does not inherit the process's `--max-semi-space-size`: its young
 * generation defaults to V8's size for the machine's memory, 64 MB semi-spaces on 24 GB).
 */

/**
 * Semi-space size in MB. V8 sizes the young generation from the machine's memory (on 24 GB it took
 * ~130 MB of a loaded gateway's RSS); 16 MB keeps RSS low at no measurable CPU cost. Smaller semi-spaces
 * and any cap or lower growing factor on the old generation cost 5-55% CPU per request (measured).
 */
export const gatewaySemiSpaceMb = 16;

/** The Node/V8 flags of a gateway process. */
export const gatewayNodeFlags: readonly string[] = [`--max-semi-space-size=${gatewaySemiSpaceMb}`];

/** V8's young generation is three semi-spaces (two for the scavenger, one for new large objects). */
const youngGenerationPerSemiSpace = 3;

/**
 * `resourceLimits` for a worker thread that serves requests: the same young generation as a gateway
 * process under `gatewayNodeFlags` (verified: a worker's heap limit and new space then equal the
 * process's). The old generation is left to V8, as in the process: a cap there is a hard limit that
 * ends the worker on heap exhaustion (5,000 concurrent streams took ~740 MB).
 */
export function workerResourceLimits(): { maxYoungGenerationSizeMb: number } {
  return { maxYoungGenerationSizeMb: gatewaySemiSpaceMb * youngGenerationPerSemiSpace };
}
