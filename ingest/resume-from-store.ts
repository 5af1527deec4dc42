// Where the ingest starts from after a restart: the seq high-water mark of each device (so gap
// counting carries on instead of calling everything before it lost) and each meter's kWh counter
// at the start of today (so "today's kWh" on the wall survives the restart). A store that cannot
// be read right now (InfluxDB down; writes then go to its spool) must not keep the ingest from
// taking messages: gap counting and today's kWh then start afresh.
import type { Logger } from '../shared/logger.ts';
import type { ShardSpec } from '../shared/shard-topics.ts';
import type { LiveState } from './live-state.ts';
import type { SeqTracker } from './seq-tracker.ts';
import { ownsDevice } from './shard/shard-view.ts';
import type { TelemetryStore } from './store/types.ts';

export interface ResumeTargets {
  tracker: SeqTracker;
  live: LiveState;
  /** A shard seeds the marks of its own devices only. */
  shard: ShardSpec | null;
  log: Logger;
}

/** Seeds `tracker` and `live` from the store; `dayStart` is today's midnight in the park's time zone, ms. */
export async function resumeFromStore(store: TelemetryStore, dayStart: number, to: ResumeTargets): Promise<void> {
  const { tracker, live, shard } = to;
  try {
    const marks = await store.maxSeqByDevice();
    tracker.seed(shard ? Object.fromEntries(Object.entries(marks).filter(([id]) => ownsDevice(shard, id))) : marks);
    live.seedDayBaselines(dayStart, await store.kwhBaselines(dayStart));
  } catch (err) {
    // Each meter's first reading from now on becomes its baseline for today.
    live.seedDayBaselines(dayStart, {});
    to.log.warn({ err: (err as Error).message }, 'store not readable at start: seq gaps and today\'s kWh count from now on');
  }
}
