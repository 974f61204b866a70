/**
 * Whether the tester ranks the PostgreSQL methods as pgbench does, judged with the statistics of
 * tester/stats (issue 29): each tool's ranking (groups the Mann-Whitney test cannot tell apart
 * share a rank), then every pair of methods pgbench orders significantly, and which way the tester
 * orders it. A user comparing methods with the tester must not draw another conclusion than
 * pgbench allows.
 */
import { compareSamples, median, rankCells } from '../tester/stats/statistics.js';

export interface MethodSamples {
  method: string;
  /** Successful increments per second, one per round. */
  tester: number[];
  reference: number[];
}

/** "1. sharded · 2. inplace_update, lost_update · ...": best first, ties grouped. */
function rankingLine(cells: { key: string; samples: number[] }[]): string {
  const groups = new Map<number, string[]>();
  for (const { key, rank } of rankCells(cells)) groups.set(rank, [...(groups.get(rank) ?? []), key]);
  return [...groups].map(([rank, keys]) => `${rank}. ${keys.join(', ')}`).join(' · ');
}

/** The ranking's lines for the bench's output, under the section's table. */
export function methodRanking(methods: MethodSamples[], referenceName: string, clients: number): string[] {
  const measured = methods.filter((m) => m.tester.length > 0 && m.reference.length > 0);
  if (measured.length < 2) return [];
  const rounds = Math.min(...measured.flatMap((m) => [m.tester.length, m.reference.length]));
  const lines = [
    `Method ranking at ${clients} client(s), best first (successful increments/s; methods in one group are not ` +
      `significantly apart: Mann-Whitney at alpha 0.05 over ${rounds} round(s) or more):`,
    '',
    `- ${referenceName}: ${rankingLine(measured.map((m) => ({ key: m.method, samples: m.reference })))}`,
    `- tester: ${rankingLine(measured.map((m) => ({ key: m.method, samples: m.tester })))}`,
  ];
  const ordered: string[] = [];
  const against: string[] = [];
  let agreeing = 0;
  for (const [i, a] of measured.entries()) {
    for (const b of measured.slice(i + 1)) {
      const reference = compareSamples(a.reference, b.reference);
      if (!reference.direction) continue;
      const [winner, loser] = reference.direction === 'faster' ? [a, b] : [b, a];
      ordered.push(`${winner.method} > ${loser.method}`);
      const tester = compareSamples(winner.tester, loser.tester);
      if (median(winner.tester) > median(loser.tester) && tester.direction !== 'slower') agreeing++;
      else {
        const said = `${tester.direction ?? '~'} ${tester.ratio.toFixed(2)}x`;
        against.push(`${winner.method} > ${loser.method} (tester: ${said})`);
      }
    }
  }
  lines.push(
    ordered.length === 0
      ? `- ${referenceName} orders no pair significantly: nothing for the tester to agree with (more rounds would tell).`
      : `- ${referenceName} orders ${ordered.length} pair(s) significantly; the tester orders ${agreeing} of them the ` +
          `same way${against.length ? `; not: ${against.join(', ')}` : ' (all)'}.`,
  );
  return lines;
}
