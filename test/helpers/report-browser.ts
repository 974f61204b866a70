/**
 * Opens an HTML report in a real browser: Debian's chromium (scripts/test-tools.sh installs it)
 * driven by playwright-core, whose own browser download cannot work offline.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: run bash scripts/test-tools.sh (as root) to install it`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}

export interface RenderedChart {
  name: string;
  /** ECharts has an instance on the chart's element. */
  hasInstance: boolean;
  /** Pixels of the chart's canvas that something was drawn on. */
  inkedPixelCount: number;
  /** Shaded areas (markArea items) over all its series. */
  shadedAreaCount: number;
  /** Coloured pixels inside its first plot area: the data drawn, not the grey axes and grid. */
  plotInkCount: number;
}

export interface RenderedReport {
  /** Console errors, page errors, and requests (a self-contained report makes none). */
  problems: string[];
  charts: RenderedChart[];
  /** The page's visible text. */
  text: string;
}

/** Loads the file, waits for every chart, and saves a full-page screenshot to `screenshotFile`. */
export async function renderReport(browser: Browser, file: string, screenshotFile: string): Promise<RenderedReport> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('request', (request) => {
    if (!request.url().startsWith('file:')) problems.push(`request: ${request.url()}`);
  });
  try {
    await page.goto(`file://${path.resolve(file)}`, { waitUntil: 'load' });
    await page.waitForFunction(ALL_CHARTS_DRAWN);
    const charts = (await page.evaluate(INSPECT_CHARTS)) as RenderedChart[];
    fs.mkdirSync(path.dirname(screenshotFile), { recursive: true });
    await page.screenshot({ path: screenshotFile, fullPage: true });
    return { problems, charts, text: await page.innerText('body') };
  } finally {
    await page.close();
  }
}

// In-page scripts, as text: the tester compiles without the DOM's types.
const ALL_CHARTS_DRAWN = `[...document.querySelectorAll('[data-chart]')].every((box) => box.querySelector('canvas'))`;

/** Each chart's ECharts instance, how much of its canvas is drawn on, and its shaded areas. */
const INSPECT_CHARTS = `[...document.querySelectorAll('[data-chart]')].map((box) => {
  const canvas = box.querySelector('canvas');
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let inkedPixelCount = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) inkedPixelCount++;
  const instance = echarts.getInstanceByDom(box);
  const series = instance ? instance.getOption().series : [];
  const shadedAreaCount = series.reduce((n, s) => n + ((s.markArea && s.markArea.data) || []).length, 0);
  const grid = instance && instance.getModel().getComponent('grid', 0);
  let plotInkCount = 0;
  if (grid) {
    const ratio = canvas.width / box.clientWidth;
    const rect = grid.coordinateSystem.getRect();
    const [x, y, width, height] = [rect.x, rect.y, rect.width, rect.height].map((n) => n * ratio);
    const plot = canvas.getContext('2d').getImageData(x, y, width, height).data;
    for (let i = 0; i < plot.length; i += 4) {
      const [r, g, b, a] = [plot[i], plot[i + 1], plot[i + 2], plot[i + 3]];
      if (a > 128 && Math.max(r, g, b) - Math.min(r, g, b) > 60) plotInkCount++;
    }
  }
  return { name: box.dataset.chart, hasInstance: Boolean(instance), inkedPixelCount, shadedAreaCount, plotInkCount };
})`;
