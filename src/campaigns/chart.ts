/**
 * The progress chart: a vega-lite bar chart rendered on the server to SVG (no script, no style attributes, so it
 * passes the strict CSP), labelled for assistive technology; the page shows the same figures in a table. Charts are
 * kept per figures and language, so a busy progress page renders each distinct chart once.
 */
import { LRUCache } from 'lru-cache';
import type { Translate } from '../platform/i18n';
import type { ProgressCounts } from './progress';

interface VegaModules {
  vega: typeof import('vega');
  vegaLite: typeof import('vega-lite/build/index');
}

// vega and vega-lite are ES modules with top-level await, which `require` cannot load; TypeScript compiles `import()`
// to `require` under CommonJS, so the import is made at run time.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;
let modules: Promise<VegaModules> | undefined;

function loadVega(): Promise<VegaModules> {
  modules ??= Promise.all([importModule('vega'), importModule('vega-lite')]).then(([vega, vegaLite]) => ({
    vega: vega as VegaModules['vega'],
    vegaLite: vegaLite as VegaModules['vegaLite'],
  }));
  return modules;
}

export interface ChartBar {
  label: string;
  value: number;
  /** A class name of the bar's colour in the page's palette (also readable by the table's legend). */
  tone: 'neutral' | 'info' | 'progress' | 'done' | 'warning';
}

/** Colours with at least 3:1 contrast against white (WCAG 1.4.11, non-text contrast). */
const TONES: Record<ChartBar['tone'], string> = {
  neutral: '#5c6670',
  info: '#005a9c',
  progress: '#7a4f01',
  done: '#1d6b31',
  warning: '#b3261e',
};

const charts = new LRUCache<string, string>({ max: 500 });

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);
}

/**
 * A horizontal bar chart as SVG markup, with a `<title>` and `<desc>` naming every figure (role="img"), so a screen
 * reader announces one summary instead of the marks.
 */
export async function barChartSvg(bars: ChartBar[], title: string, description: string, id: string): Promise<string> {
  const key = JSON.stringify([bars, title, description, id]);
  const cached = charts.get(key);
  if (cached) return cached;
  const { vega, vegaLite } = await loadVega();
  const spec = vegaLite.compile({
    width: 360,
    height: { step: 28 },
    background: 'white',
    data: { values: bars.map((bar) => ({ label: bar.label, value: bar.value, colour: TONES[bar.tone] })) },
    layer: [
      {
        mark: { type: 'bar', cornerRadiusEnd: 2 },
        encoding: {
          y: { field: 'label', type: 'nominal', sort: null, title: null, axis: { labelLimit: 220, labelFontSize: 13, labelColor: '#1b1b1b' } },
          x: { field: 'value', type: 'quantitative', title: null, axis: { tickMinStep: 1, format: 'd', labelColor: '#1b1b1b' } },
          color: { field: 'colour', type: 'nominal', scale: null, legend: null },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 13, color: '#1b1b1b' },
        encoding: { y: { field: 'label', type: 'nominal', sort: null }, x: { field: 'value', type: 'quantitative' }, text: { field: 'value', type: 'quantitative' } },
      },
    ],
    config: { view: { stroke: null }, axis: { grid: false, domainColor: '#5c6670', tickColor: '#5c6670' } },
  }).spec;
  const view = new vega.View(vega.parse(spec), { renderer: 'none' });
  const svg = await view.toSVG();
  await view.finalize();
  const labelled = svg.replace(
    /^<svg /,
    `<svg role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false" `,
  ).replace(/(<svg[^>]*>)/, `$1<title id="${id}-title">${escapeXml(title)}</title><desc id="${id}-desc">${escapeXml(description)}</desc>`);
  charts.set(key, labelled);
  return labelled;
}

export interface ProgressChart {
  svg: string;
  bars: ChartBar[];
}

/** The progress chart's bars: the states suppliers are in (they add up to the invited), and the overdue among them. */
export async function progressChart(counts: ProgressCounts, t: Translate, id: string): Promise<ProgressChart> {
  const bars: ChartBar[] = [
    { label: t('campaigns:progress.states.invited'), value: counts.invited, tone: 'neutral' },
    { label: t('campaigns:progress.states.opened'), value: counts.opened, tone: 'info' },
    { label: t('campaigns:progress.states.inProgress'), value: counts.inProgress, tone: 'progress' },
    { label: t('campaigns:progress.states.submitted'), value: counts.submitted, tone: 'done' },
    { label: t('campaigns:progress.states.overdue'), value: counts.overdue, tone: 'warning' },
  ];
  const description = bars.map((bar) => `${bar.label}: ${bar.value}`).join('; ');
  return { svg: await barChartSvg(bars, t('campaigns:progress.chartTitle'), description, id), bars };
}
