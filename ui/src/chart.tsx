/**
 * Usage charts drawn by uPlot: requests and failed attempts per bucket (hours or days), every bucket of
 * the window shown (missing ones are zero), with the same numbers as a table for screen readers.
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

export interface Bucket {
  start: string;
  requests: number;
  failures: number;
}

/** `count` consecutive buckets of `stepMs` ending with the one holding `now`, filled from `buckets`. */
export function fillBuckets(buckets: Bucket[], stepMs: number, count: number, now = Date.now()): Bucket[] {
  const byStart = new Map(buckets.map((b) => [Date.parse(b.start), b]));
  const last = now - (now % stepMs);
  const out: Bucket[] = [];
  for (let i = count - 1; i >= 0; i--) {
    const start = last - i * stepMs;
    const b = byStart.get(start);
    out.push({
      start: new Date(start).toISOString(),
      requests: b?.requests ?? 0,
      failures: b?.failures ?? 0,
    });
  }
  return out;
}

export function UsageChart(props: { title: string; buckets: Bucket[]; unit: "hour" | "day"; id: string }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data: uPlot.AlignedData = [
      props.buckets.map((b) => Date.parse(b.start) / 1000),
      props.buckets.map((b) => b.requests),
      props.buckets.map((b) => b.failures),
    ];
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    // Half a bucket of room each side, so the first and last bars are drawn whole.
    const half = (props.unit === "hour" ? 3600 : 86_400) / 2;
    const plot = new uPlot(
      {
        width: Math.max(260, el.clientWidth),
        height: 200,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
        legend: { live: false },
        scales: {
          x: { time: true, range: (_u, min, max) => [min - half, max + half] },
          y: { range: (_u, _min, max) => [0, Math.max(1, max)] },
        },
        series: [
          { label: props.unit === "hour" ? "Hour (UTC)" : "Day (UTC)" },
          { label: "Requests", stroke: "#1f6feb", fill: "rgba(31,111,235,0.35)", paths: bars },
          { label: "Failed", stroke: "#c62828", fill: "rgba(198,40,40,0.45)", paths: bars },
        ],
        axes: [{}, { label: "count", size: 50 }],
      },
      data,
      el,
    );
    const resize = new ResizeObserver(() =>
      plot.setSize({ width: Math.max(260, el.clientWidth), height: 200 }),
    );
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [props.buckets, props.unit]);
  const total = props.buckets.reduce((n, b) => n + b.requests, 0);
  const failed = props.buckets.reduce((n, b) => n + b.failures, 0);
  return (
    <figure class="chart" aria-labelledby={`${props.id}-caption`}>
      <figcaption id={`${props.id}-caption`}>
        {props.title}: {total} requests, {failed} failed
      </figcaption>
      <div ref={box} id={props.id} class="plot" aria-hidden="true" />
      <details>
        <summary>Show as table</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{props.unit === "hour" ? "Hour (UTC)" : "Day (UTC)"}</th>
              <th scope="col">Requests</th>
              <th scope="col">Failed</th>
            </tr>
          </thead>
          <tbody>
            {props.buckets
              .filter((b) => b.requests + b.failures > 0)
              .map((b) => (
                <tr>
                  <td>
                    {props.unit === "hour"
                      ? `${b.start.slice(0, 10)} ${b.start.slice(11, 16)}`
                      : b.start.slice(0, 10)}
                  </td>
                  <td>{b.requests}</td>
                  <td>{b.failures}</td>
                </tr>
              ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
