import { localSimulatorControl, type SimulatorControl } from '../../../src/demo/simulator-control.ts';
import type { InvocationRecord } from '../../../src/simulator/invocation-log.ts';
import type { RunningSimulator } from '../../../src/simulator/start-simulator.ts';

/** A simulator control for the demo scenarios that keeps the invocation log across their resets. */
export interface RecordingSimulator {
  /** What the scenarios drive (reset clears quotas and faults as usual, but the log is kept here). */
  readonly control: SimulatorControl;
  /** Every invocation since this recorder was made, oldest first, across resets. */
  all(): InvocationRecord[];
}

/**
 * Wraps an in-process simulator: each reset first copies the log aside. Records from before the
 * recorder was made (an earlier scenario's last run) are left out: sequence numbers only grow.
 */
export function recordingSimulator(simulator: RunningSimulator): RecordingSimulator {
  const kept: InvocationRecord[] = [];
  const local = localSimulatorControl(simulator);
  const after = simulator.invocations().at(-1)?.seq ?? 0;
  const fresh = () => simulator.invocations().filter((record) => record.seq > after);
  return {
    control: {
      ...local,
      reset: () => {
        kept.push(...fresh());
        return local.reset();
      },
    },
    all: () => [...kept, ...fresh()],
  };
}
