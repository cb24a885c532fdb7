import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface ChartSeries {
  label: string;
  /** One value per x; null where the period has none. */
  values: (number | null)[];
}

interface Props {
  title: string;
  /** Period ends, as Unix seconds, oldest first. */
  x: number[];
  series: ChartSeries[];
  format: (value: number) => string;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/**
 * A line chart on a canvas (uPlot). The first chart drawn on a page leaves the performance
 * mark `first-chart`, which the browser tests read.
 */
export function Chart({ title, x, series, format }: Props) {
  const container = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = container.current;
    if (!element || x.length === 0) return;
    const options: uPlot.Options = {
      title,
      width: Math.max(element.clientWidth, 280),
      height: 240,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 2,
          points: { show: x.length < 30 },
          spanGaps: false,
          value: (_: uPlot, v: number | null) => (v == null ? '—' : format(v)),
        })),
      ],
      axes: [{}, { values: (_, ticks) => ticks.map(format), size: 70 }],
      scales: { x: { time: true } },
      hooks: {
        draw: [
          () => {
            if (performance.getEntriesByName('first-chart').length === 0) {
              performance.mark('first-chart');
            }
          },
        ],
      },
    };
    const data: uPlot.AlignedData = [x, ...series.map((s) => s.values)];
    const plot = new uPlot(options, data, element);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(element.clientWidth, 280), height: 240 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [title, x, series, format]);

  return <div class="chart" ref={container} role="img" aria-label={title} />;
}

export function toSeconds(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / 1000;
}

export function toNumber(value: string | null | undefined): number | null {
  return value == null ? null : Number(value);
}
