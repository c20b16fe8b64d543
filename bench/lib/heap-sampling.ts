/**
 * Preloaded (`--import`) into a process measured by bench/allocations.ts: the first SIGUSR2 starts
 * V8's sampling heap profiler counting every allocation (also those a GC has already collected), the
 * second writes the profile to $SPILLWAY_HEAP_SAMPLING_OUT and stops. With
 * SPILLWAY_HEAP_SAMPLING_SURVIVORS=1 it leaves out what a scavenge collected: what is left is what
 * outlived the young generation's first collection (copied, then promoted), which is what a scavenge
 * costs (it copies survivors; dead objects are free) and what fills the old generation.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

const out = process.env.SPILLWAY_HEAP_SAMPLING_OUT ?? 'allocations.heapprofile';
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
let sampling = false;
process.on('SIGUSR2', () => {
  if (!sampling) {
    sampling = true;
    void session
      .post('HeapProfiler.startSampling', {
        samplingInterval: 512,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: process.env.SPILLWAY_HEAP_SAMPLING_SURVIVORS !== '1',
      })
      .then(() => process.stderr.write('heap-sampling: started\n'));
    return;
  }
  void session.post('HeapProfiler.stopSampling').then(({ profile }) => {
    writeFileSync(out, JSON.stringify(profile));
    process.stderr.write('heap-sampling: written\n');
  });
});
