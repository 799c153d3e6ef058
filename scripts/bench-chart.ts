/**
 * `npm run bench:chart`: draws docs/bench-fleet-scaling.svg — time against fleet size for provisioning and for
 * rolling a change, on log–log axes (a straight line of slope 1 is cost that grows linearly), with the goals
 * marked — from the measured figures in bench/results/fleet-scaling.json. Vega-Lite lays the chart out and Vega
 * renders it to SVG headlessly; nothing here draws by hand.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

interface Point {
  series: string;
  clusters: number;
  seconds: number;
  measured?: string;
}

const root = join(import.meta.dirname, '..');
const input = join(root, 'bench', 'results', 'fleet-scaling.json');
const output = join(root, 'docs', 'bench-fleet-scaling.svg');
const figures = JSON.parse(readFileSync(input, 'utf8')) as { points: Point[]; goals: Point[] };

const spec: TopLevelSpec = {
  $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
  title: {
    text: 'Strata fleet operations: time against fleet size',
    subtitle: '2-core VM, PostgreSQL; log–log',
  },
  width: 560,
  height: 340,
  layer: [
    {
      data: { values: figures.points },
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'clusters',
          type: 'quantitative',
          scale: { type: 'log', domain: [700, 150_000], nice: false },
          axis: { title: 'clusters' },
        },
        y: {
          field: 'seconds',
          type: 'quantitative',
          scale: { type: 'log', domain: [10, 10_000], nice: false },
          axis: { title: 'seconds' },
        },
        color: {
          field: 'series',
          type: 'nominal',
          legend: { orient: 'top-left', title: null, labelLimit: 320 },
        },
        detail: { field: 'series' },
      },
    },
    {
      data: { values: figures.goals },
      mark: { type: 'point', shape: 'diamond', size: 120, filled: true, color: '#c0392b' },
      encoding: {
        x: { field: 'clusters', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'seconds', type: 'quantitative', scale: { type: 'log' } },
        tooltip: { field: 'series' },
      },
    },
    {
      data: { values: figures.goals },
      mark: { type: 'text', align: 'right', dx: -10, dy: 4, fontSize: 11, color: '#c0392b' },
      encoding: {
        x: { field: 'clusters', type: 'quantitative', scale: { type: 'log' } },
        y: { field: 'seconds', type: 'quantitative', scale: { type: 'log' } },
        text: { field: 'series' },
      },
    },
  ],
};

const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
writeFileSync(output, `${await view.toSVG()}\n`);
await view.finalize();
console.log(`wrote ${output} from ${figures.points.length} measured points`);
