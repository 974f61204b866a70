/** Collects every row's samples as sections measure them, and logs each one as it lands. */
import os from 'node:os';
import { type MemoryFigure, type Measured, type Row, rowId, type Tool } from './measurement.js';
import type { SoakResult } from './soak-result.js';
import { soakLine } from './soak-table.js';

export class Recorder {
  readonly rows = new Map<string, Row>();
  readonly memory: MemoryFigure[] = [];
  soak?: SoakResult;

  constructor(private readonly log: (line: string) => void) {}

  /** Declares a row (once; sections declare theirs up front so tables keep their order). */
  row(
    section: string,
    subject: string,
    tool: Tool,
    connections: number,
    ref?: { subject: string; tool: Tool },
  ): string {
    const id = rowId(subject, tool, connections);
    if (!this.rows.has(id)) {
      const refId = ref && rowId(ref.subject, ref.tool, connections);
      this.rows.set(id, {
        id,
        section,
        subject,
        tool,
        connections,
        ...(refId && refId !== id ? { refId } : {}),
        samples: [],
      });
    }
    return id;
  }

  /** Runs one measurement; a failure marks the row (with the reason) instead of ending the bench. */
  async measure(id: string, round: number, run: () => Promise<Measured>): Promise<Measured | undefined> {
    const row = this.rows.get(id)!;
    try {
      const measured = await run();
      const load1 = Number(os.loadavg()[0].toFixed(2));
      row.samples.push({ round, at: new Date().toISOString(), load1, ...measured });
      const check = measured.passed === false ? `, CHECK FAILED: ${measured.verdict}` : '';
      const errors = measured.errorCount ? `, ${measured.errorCount} errors` : '';
      const p99 = measured.p99Us !== undefined ? `, p99 ${measured.p99Us} µs` : '';
      this.log(`round ${round} ${id}: ${Math.round(measured.rps)} rps${p99}${errors}${check}, load ${load1}`);
      return measured;
    } catch (err) {
      const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
      this.log(`round ${round} ${id}: ${why}`);
      row.notMeasured ??= `failed: ${why}`;
      return undefined;
    }
  }

  skip(id: string, why: string): void {
    this.rows.get(id)!.notMeasured ??= why;
  }

  addMemory(name: string, limitMb: number, mb: number): void {
    let figure = this.memory.find((m) => m.name === name);
    if (!figure) this.memory.push((figure = { name, limitMb, valuesMb: [] }));
    figure.valuesMb.push(mb);
    this.log(`memory ${name}: ${mb} MB`);
  }

  addSoak(result: SoakResult): void {
    this.soak = result;
    const failed = 'failed' in result.tester ? ` (tester failed: ${result.tester.failed})` : '';
    this.log(`soak: ${result.samples.length} samples; ${soakLine(result)}${failed}`);
  }
}
