import { MemoryStateStore } from './memory-state-store.ts';
import { describeStateStoreContract } from './state-store.contract.ts';

describeStateStoreContract('MemoryStateStore', (clock) => Promise.resolve(new MemoryStateStore(clock)));
