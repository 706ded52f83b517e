import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type ChartSeries = { label: string; values: number[]; color: string; bars?: boolean };

const HEIGHT = 220;

/** A day (YYYY-MM-DD) as uPlot's x: seconds since the epoch at that day's UTC midnight. */
const dayX = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * A daily series chart (uPlot: a canvas chart of about 50 kB, no dependencies), as wide as its
 * container: a ResizeObserver keeps it readable from a 390 px phone to a 1440 px desk.
 */
export function TimeChart({
  title,
  days,
  series,
  format,
  emptyMax = 1,
}: {
  title: string;
  days: string[];
  series: ChartSeries[];
  format: (v: number) => string;
  /** The y axis's top while every value is zero (a money chart passes 100 minor units: one rupee). */
  emptyMax?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: redrawn when the data's content changes, not its identity.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height: HEIGHT,
      // The x axis is days in UTC seconds; the day strings already are the marketplace's days.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : emptyMax] } },
      axes: [
        { stroke: "#64748b", grid: { show: false } },
        {
          stroke: "#64748b",
          size: 64,
          grid: { stroke: "#e2e8f0" },
          values: (_u, ticks) => ticks.map((t) => format(t)),
        },
      ],
      series: [
        {
          label: "Day",
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : new Date(v * 1000).toISOString().slice(0, 10)),
        },
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? `${s.color}cc` : undefined,
          width: s.bars ? 0 : 2,
          paths: s.bars ? bars : undefined,
          points: { show: !s.bars && days.length < 40 },
          value: (_u: uPlot, v: number | null) => (v === null ? "—" : format(v)),
        })),
      ],
    };
    const plot = new uPlot(opts, [days.map(dayX), ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 200), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify(days), JSON.stringify(series), title]);

  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} className="chart-box" role="img" aria-label={title} />
    </figure>
  );
}
