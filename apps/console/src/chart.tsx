import type { Bar } from './insights';

/**
 * A bar chart drawn as SVG attributes (no style attribute, which the CSP refuses), named for
 * screen readers, with the numbers in each bar's tooltip and under the chart.
 */
export function BarChart({ title, bars }: { title: string; bars: Bar[] }) {
  const width = 480;
  const height = 160;
  const gap = 4;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const w = bars.length ? (width - gap * (bars.length - 1)) / bars.length : width;
  const summary = bars.map((b) => `${b.label}: ${b.value}`).join(', ');
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height + 18}`} role="img" aria-label={`${title}. ${summary}`}>
        {bars.map((b, i) => {
          const h = (b.value / max) * height;
          const x = i * (w + gap);
          return (
            <g key={b.label}>
              <rect
                x={x}
                y={height - h}
                width={w}
                height={Math.max(h, b.value ? 1 : 0)}
                className="chart-bar"
              >
                <title>{`${b.label}: ${b.value}`}</title>
              </rect>
              <text x={x + w / 2} y={height + 14} textAnchor="middle" className="chart-label">
                {b.label}
              </text>
            </g>
          );
        })}
      </svg>
      <details className="hint">
        <summary>Numbers</summary>
        {summary}
      </details>
    </figure>
  );
}
