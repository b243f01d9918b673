import { useEffect, useRef, useState } from 'preact/hooks';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { dashboardResponse, type DashboardResponse } from '../../shared/api/console-schema.js';
import { call, humanDuration } from './api.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

/** Colour-blind-safe hues (Okabe–Ito), each with its own fill pattern: colour is never the only cue. */
const HUES = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const SHAPES = ['solid', 'stripes', 'dots', 'cross', 'back-stripes', 'grid', 'dense-dots'] as const;

function pattern(index: number): CanvasPattern | string {
  const hue = HUES[index % HUES.length] ?? '#000';
  const shape = SHAPES[index % SHAPES.length] ?? 'solid';
  const tile = document.createElement('canvas');
  tile.width = 10;
  tile.height = 10;
  const g = tile.getContext('2d');
  if (!g || shape === 'solid') return hue;
  g.fillStyle = '#fff';
  g.fillRect(0, 0, 10, 10);
  g.strokeStyle = hue;
  g.fillStyle = hue;
  g.lineWidth = 2;
  if (shape === 'stripes' || shape === 'cross') {
    g.beginPath();
    g.moveTo(0, 10);
    g.lineTo(10, 0);
    g.stroke();
  }
  if (shape === 'back-stripes' || shape === 'cross') {
    g.beginPath();
    g.moveTo(0, 0);
    g.lineTo(10, 10);
    g.stroke();
  }
  if (shape === 'grid') g.strokeRect(0, 0, 10, 10);
  if (shape === 'dots' || shape === 'dense-dots') {
    g.beginPath();
    g.arc(5, 5, shape === 'dots' ? 2 : 3.5, 0, Math.PI * 2);
    g.fill();
  }
  return g.createPattern(tile, 'repeat') ?? hue;
}

function BarChart(props: {
  readonly id: string;
  readonly title: string;
  readonly labels: readonly string[];
  readonly series: readonly { readonly label: string; readonly data: readonly number[] }[];
  readonly stacked?: boolean;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'bar',
      data: {
        labels: [...props.labels],
        datasets: props.series.map((s, i) => ({
          label: s.label,
          data: [...s.data],
          backgroundColor: pattern(i),
          borderColor: HUES[i % HUES.length],
          borderWidth: 1.5,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: {
          x: { stacked: props.stacked ?? false },
          y: { stacked: props.stacked ?? false, beginAtZero: true, ticks: { precision: 0 } },
        },
        plugins: { legend: { display: props.series.length > 1 } },
      },
    });
    return () => chart.destroy();
  }, [props.labels.join('|'), JSON.stringify(props.series)]);
  return (
    <figure aria-labelledby={`${props.id}-title`}>
      <figcaption id={`${props.id}-title`}>{props.title}</figcaption>
      <div class="chart">
        <canvas
          ref={canvas}
          role="img"
          aria-label={`${props.title}: bar chart, the table below has the same figures`}
        />
      </div>
      <details>
        <summary>Data table: {props.title}</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{props.stacked ? 'Day' : 'Period'}</th>
              {props.series.map((s) => (
                <th key={s.label} scope="col">
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.labels.map((label, row) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {props.series.map((s) => (
                  <td key={s.label}>{s.data[row] ?? 0}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

function Ranking({
  title,
  rows,
}: {
  readonly title: string;
  readonly rows: readonly { key: string; count: number }[];
}) {
  return (
    <table>
      <caption>{title}</caption>
      <thead>
        <tr>
          <th scope="col">Who / what</th>
          <th scope="col">Grants</th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <td colSpan={2}>None yet.</td>
          </tr>
        )}
        {rows.map((r) => (
          <tr key={r.key}>
            <td>{r.key}</td>
            <td>{r.count}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function DashboardPage() {
  const [data, setData] = useState<DashboardResponse>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    call(dashboardResponse, 'GET', '/dashboard?days=14')
      .then(setData)
      .catch((e: Error) => setError(e.message));
  }, []);
  if (error)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!data) return <p aria-live="polite">Loading…</p>;
  const days = [...new Set(data.grantsPerDay.map((g) => g.day))].sort();
  const targets = [...new Set(data.grantsPerDay.map((g) => g.targetId))].sort();
  const latency = data.approvalLatencySeconds;
  return (
    <div class="dashboard" data-testid="dashboard">
      <section aria-labelledby="now-title" class="tile">
        <h2 id="now-title">Who has access now ({data.accessNow.length})</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">Person</th>
              <th scope="col">Target</th>
              <th scope="col">Until (UTC)</th>
            </tr>
          </thead>
          <tbody>
            {data.accessNow.length === 0 && (
              <tr>
                <td colSpan={3}>Nobody.</td>
              </tr>
            )}
            {data.accessNow.map((g) => (
              <tr key={`${g.requester}-${g.targetId}-${g.endsAt}`}>
                <td>{g.requester}</td>
                <td>
                  {g.targetId}
                  {g.breakGlass ? ' (break-glass)' : ''}
                </td>
                <td>{g.endsAt.replace('T', ' ').slice(0, 16)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section aria-labelledby="latency-title" class="tile">
        <h2 id="latency-title">Approval latency</h2>
        <dl class="figures">
          <dt>Median (p50)</dt>
          <dd>{latency.p50 === undefined ? '—' : humanDuration(latency.p50)}</dd>
          <dt>p95</dt>
          <dd>{latency.p95 === undefined ? '—' : humanDuration(latency.p95)}</dd>
          <dt>Approvals measured</dt>
          <dd>{latency.n}</dd>
          <dt>Unreviewed break-glass</dt>
          <dd>{data.unreviewedBreakGlass.length}</dd>
        </dl>
      </section>
      <section class="tile wide">
        <BarChart
          id="grants-per-day"
          title={`Grants per day by target since ${data.since.slice(0, 10)}`}
          labels={days}
          stacked
          series={targets.map((t) => ({
            label: t,
            data: days.map((d) => data.grantsPerDay.find((g) => g.day === d && g.targetId === t)?.count ?? 0),
          }))}
        />
      </section>
      <section class="tile">
        <BarChart
          id="break-glass"
          title="Break-glass per week (week starting)"
          labels={data.breakGlassPerWeek.map((w) => w.week)}
          series={[{ label: 'Break-glass', data: data.breakGlassPerWeek.map((w) => w.count) }]}
        />
        {data.unreviewedBreakGlass.length > 0 && (
          <p>
            Waiting for review:{' '}
            {data.unreviewedBreakGlass.map((r) => `${r.requester} on ${r.targetId}`).join(', ')}
          </p>
        )}
      </section>
      <section class="tile">
        <Ranking title="Top requesters" rows={data.topRequesters} />
        <Ranking title="Top targets" rows={data.topTargets} />
      </section>
    </div>
  );
}
