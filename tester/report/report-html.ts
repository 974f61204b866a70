/**
 * One self-contained HTML file: the styles, ECharts, the page's script and its data are all
 * inlined, so the report opens offline, from a mail attachment or a CI artifact.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { ReportPage } from './report-shapes.js';

const require = createRequire(import.meta.url);

const styles = `
  :root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bad: #c92a2a; }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink);
    background: #f5f7fa; }
  #report { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; min-height: 100vh;
    box-sizing: border-box; }
  header { display: flex; align-items: center; gap: 16px; }
  h1 { font-size: 22px; margin: 0; }
  h2 { font-size: 18px; margin: 32px 0 8px; padding-top: 16px; border-top: 1px solid var(--line); }
  h3 { font-size: 16px; margin: 20px 0 4px; }
  .badge { font-weight: 700; font-size: 13px; letter-spacing: .04em; padding: 3px 10px; border-radius: 12px;
    color: #fff; }
  .badge.pass { background: #2b8a3e; } .badge.fail { background: var(--bad); } .badge.unknown { background: #e8a33d; }
  .verdict { font-size: 16px; margin: 12px 0; }
  .note, .caption { color: var(--muted); margin: 4px 0 8px; }
  .caption { color: var(--ink); font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
  .facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 8px; margin: 16px 0; }
  .fact { border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; }
  .fact dt { font-size: 12px; color: var(--muted); } .fact dd { margin: 0; font-size: 17px; font-weight: 600; }
  .fact.bad { border-color: #ffc9c9; background: #fff5f5; } .fact.bad dd { color: var(--bad); }
  .chart { width: 100%; }
  .legend { display: flex; gap: 20px; color: var(--muted); font-size: 13px; }
  .legend-item { display: inline-flex; align-items: center; gap: 6px; }
  .swatch { display: inline-block; width: 14px; height: 10px; border-radius: 2px; }
  .witness { border-left: 3px solid #f3d9e3; padding-left: 12px; margin: 12px 0 20px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th, td { text-align: right; padding: 4px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th:first-child, td:first-child, th:last-child, td:last-child { text-align: left; }
  tr.failed td { color: var(--bad); }
`;

/** Inside a script element, only "</script" (or "<!--") could end it early: escape every "<". */
function scriptSafe(text: string): string {
  return text.replace(/</g, '\\u003c');
}

export function reportHtml(page: ReportPage): string {
  const echartsJs = fs.readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
  const pageJs = fs.readFileSync(new URL('./page/report-page.js', import.meta.url), 'utf8');
  const title = page.report.title.replace(/[<&]/g, (c) => (c === '<' ? '&lt;' : '&amp;'));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title>`,
    `<style>${styles}</style>`,
    '</head><body><main id="report"></main>',
    `<script id="report-data" type="application/json">${scriptSafe(JSON.stringify(page))}</script>`,
    `<script>${echartsJs}</script>`,
    `<script type="module">${pageJs}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}
