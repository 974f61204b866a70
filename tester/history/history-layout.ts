/**
 * Where each operation of a run lands in its saved history: the order of the events (by
 * time), each event's Jepsen index, and each client operation's process number.
 *
 * Every client calls one increment at a time, so its events are already in time order: the
 * order of the whole history is a merge of those streams (with the tester's and the
 * nemesis's), O(n log clients) with no object per operation. Ties go to invokes, then nemesis
 * events, then completions, so operations that touch in time stay concurrent as the checker
 * sees them; among equals the tester comes first, then the nemesis, then clients by number.
 */
import { Outcome } from '../check/history.js';
import { sinceStartNs, type RunHistory } from './run-history.js';

/** Where an event comes from. */
export const Source = { client: 0, tester: 1, nemesis: 2 } as const;
/** Which event of a call: ties between equal times are broken in this order. */
export const Phase = { invoke: 0, nemesis: 1, complete: 2 } as const;

export interface HistoryLayout {
  /** Events in saved order: `sources[k]`, `items[k]` (row, control op or nemesis event), `phases[k]`. */
  length: number;
  sources: Uint8Array;
  items: Uint32Array;
  phases: Uint8Array;
  /** Nanoseconds since the run started. */
  timesNs: Float64Array;
  /** Per client row: the index of its invoke event, and its Jepsen process number. */
  invokeIndex: Uint32Array;
  processes: Float64Array;
}

/** Events grouped by stream, each stream in time order; merged into the layout. */
interface Streams {
  sources: Uint8Array;
  items: Uint32Array;
  phases: Uint8Array;
  timesNs: Float64Array;
  /** Stream s is entries [starts[s], starts[s + 1]). */
  starts: Uint32Array;
}

export function historyLayout(history: RunHistory): HistoryLayout {
  const streams = groupStreams(history);
  const order = mergeStreams(streams);
  const n = order.length;
  const layout: HistoryLayout = {
    length: n,
    sources: new Uint8Array(n),
    items: new Uint32Array(n),
    phases: new Uint8Array(n),
    timesNs: new Float64Array(n),
    invokeIndex: new Uint32Array(history.ops.length),
    processes: jepsenProcesses(history),
  };
  for (let k = 0; k < n; k++) {
    const e = order[k];
    layout.sources[k] = streams.sources[e];
    layout.items[k] = streams.items[e];
    layout.phases[k] = streams.phases[e];
    layout.timesNs[k] = streams.timesNs[e];
    const clientInvoke = streams.sources[e] === Source.client && streams.phases[e] === Phase.invoke;
    if (clientInvoke) layout.invokeIndex[streams.items[e]] = k;
  }
  return layout;
}

/**
 * Jepsen's process numbers: a client starts as its own number and, after an operation whose
 * fate is unknown, continues as a new process, its number plus the client count.
 */
function jepsenProcesses({ ops, meta }: RunHistory): Float64Array {
  const processes = new Float64Array(ops.length);
  const crashes = new Map<number, number>();
  for (let row = 0; row < ops.length; row++) {
    const client = ops.clientIds[row];
    const k = crashes.get(client) ?? 0;
    processes[row] = client + meta.clientCount * k;
    if (ops.outcomes[row] === Outcome.indeterminate) crashes.set(client, k + 1);
  }
  return processes;
}

/** Stream 0: the tester; 1: the nemesis; 2 + c: client c, its rows in recording order. */
function groupStreams({ ops, controlOps, nemesisEvents, originUs }: RunHistory): Streams {
  let clientCount = 0;
  for (let row = 0; row < ops.length; row++) clientCount = Math.max(clientCount, ops.clientIds[row] + 1);
  const size = 2 * controlOps.length + nemesisEvents.length + 2 * ops.length;
  const streams: Streams = {
    sources: new Uint8Array(size),
    items: new Uint32Array(size),
    phases: new Uint8Array(size),
    timesNs: new Float64Array(size),
    starts: new Uint32Array(clientCount + 3),
  };
  let at = 0;
  const put = (source: number, item: number, phase: number, timeNs: number) => {
    streams.sources[at] = source;
    streams.items[at] = item;
    streams.phases[at] = phase;
    streams.timesNs[at++] = timeNs;
  };
  controlOps.forEach((op, i) => {
    put(Source.tester, i, Phase.invoke, sinceStartNs(op.invokeUs, originUs));
    put(Source.tester, i, Phase.complete, sinceStartNs(op.completeUs, originUs));
  });
  streams.starts[1] = at;
  const nemesisOrder = nemesisEvents.map((_, i) => i).sort((a, b) => nemesisEvents[a].time - nemesisEvents[b].time);
  for (const i of nemesisOrder) put(Source.nemesis, i, Phase.nemesis, nemesisEvents[i].time);
  streams.starts[2] = at;
  // Counting sort by client, stable: each client's rows keep their (time) order.
  const offsets = new Uint32Array(clientCount + 1);
  for (let row = 0; row < ops.length; row++) offsets[ops.clientIds[row] + 1] += 2;
  for (let c = 0; c < clientCount; c++) {
    offsets[c + 1] += offsets[c];
    streams.starts[c + 3] = at + offsets[c + 1];
  }
  for (let row = 0; row < ops.length; row++) {
    at = streams.starts[2] + offsets[ops.clientIds[row]];
    offsets[ops.clientIds[row]] += 2;
    put(Source.client, row, Phase.invoke, sinceStartNs(ops.invokeUs[row], originUs));
    put(Source.client, row, Phase.complete, sinceStartNs(ops.completeUs[row], originUs));
  }
  return streams;
}

/** The streams' entries merged by (time, phase, stream): a binary heap of stream heads. */
function mergeStreams({ timesNs, phases, starts }: Streams): Uint32Array {
  const streamCount = starts.length - 1;
  const next = starts.slice(0, streamCount);
  const heads = { times: new Float64Array(streamCount), phases: new Uint8Array(streamCount) };
  const heap = new Uint32Array(streamCount);
  let size = 0;
  for (let s = 0; s < streamCount; s++) {
    if (next[s] === starts[s + 1]) continue;
    heads.times[s] = timesNs[next[s]];
    heads.phases[s] = phases[next[s]];
    heap[size++] = s;
  }
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(heap, size, i, heads);
  const order = new Uint32Array(starts[streamCount]);
  for (let k = 0; size > 0; k++) {
    const s = heap[0];
    order[k] = next[s]++;
    if (next[s] === starts[s + 1]) heap[0] = heap[--size];
    else {
      heads.times[s] = timesNs[next[s]];
      heads.phases[s] = phases[next[s]];
    }
    siftDown(heap, size, 0, heads);
  }
  return order;
}

interface Heads {
  times: Float64Array;
  phases: Uint8Array;
}

function siftDown(heap: Uint32Array, size: number, i: number, heads: Heads): void {
  const item = heap[i];
  for (;;) {
    let child = 2 * i + 1;
    if (child >= size) break;
    if (child + 1 < size && before(heap[child + 1], heap[child], heads)) child++;
    if (!before(heap[child], item, heads)) break;
    heap[i] = heap[child];
    i = child;
  }
  heap[i] = item;
}

function before(a: number, b: number, { times, phases }: Heads): boolean {
  if (times[a] !== times[b]) return times[a] < times[b];
  if (phases[a] !== phases[b]) return phases[a] < phases[b];
  return a < b;
}
