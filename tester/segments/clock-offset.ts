/**
 * Where this host's wall clock stands against the target's, for a segment of a run split over
 * hosts: `tester check` puts the segments' histories on one clock by it. Each reading bounds the
 * offset by the time the call took and the clock's resolution; several readings bound it by
 * their intersection, which is never looser than the tightest of them.
 */
import type { CounterFactory } from '../../counters/counter.js';
import type { ClockOffset } from '../history/run-history.js';
import { wallMs } from './wall-clock.js';

const READINGS = 3;

/**
 * The target's clock minus ours, within bounds; undefined when the target has no clock to read
 * (or did not answer: the run then finds out, and `tester check` asks for --clock-skew).
 */
export async function measureClockOffset(factory: Pick<CounterFactory, 'readClock'>): Promise<ClockOffset | undefined> {
  return factory.readClock ? readOffset(factory.readClock).catch(() => undefined) : undefined;
}

async function readOffset(readClock: NonNullable<CounterFactory['readClock']>): Promise<ClockOffset> {
  let offset: ClockOffset | undefined;
  for (let n = 0; n < READINGS; n++) {
    const sentUs = wallMs() * 1000;
    const { atUs, resolutionUs, against } = await readClock();
    const receivedUs = wallMs() * 1000;
    // The target read its clock between our send and our receipt.
    const reading = { lowUs: atUs - receivedUs, highUs: atUs + resolutionUs - sentUs, against };
    const lowUs = Math.max(offset?.lowUs ?? -Infinity, reading.lowUs);
    const highUs = Math.min(offset?.highUs ?? Infinity, reading.highUs);
    // Bounds that do not meet: the target's clock stepped between readings; the last one stands.
    offset = lowUs <= highUs ? { lowUs, highUs, against } : reading;
  }
  return offset!;
}
