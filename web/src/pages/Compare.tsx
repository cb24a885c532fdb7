import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { ApiError, asApiError, execute } from '../api';
import { CompareDocument } from '../gql/graphql';
import type { CompareQuery } from '../gql/graphql';
import { Chart, toNumber, type ChartSeries } from '../components/Chart';
import { ErrorState } from '../components/ErrorState';
import { StatusBadge } from '../components/StatusBadge';
import { compactMoney, orDash, percent } from '../format';

/** Most companies side by side. */
export const MAX_COMPARED = 5;

type Compared = CompareQuery['companies'][number];

export function parseSymbols(text: string | undefined): string[] {
  const symbols = (text ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean);
  return [...new Set(symbols)].slice(0, MAX_COMPARED);
}

export function ComparePage() {
  const { query, route } = useLocation();
  const symbols = useMemo(() => parseSymbols(query.symbols), [query.symbols]);
  const [input, setInput] = useState(symbols.join(', '));
  const [companies, setCompanies] = useState<Compared[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    setCompanies(null);
    setError(null);
    if (symbols.length === 0) return;
    let current = true;
    execute(CompareDocument, { symbols })
      .then((data) => current && setCompanies(data.companies))
      .catch((e: unknown) => current && setError(asApiError(e)));
    return () => {
      current = false;
    };
  }, [symbols]);

  const onSubmit = (event: Event) => {
    event.preventDefault();
    route(`/compare?symbols=${parseSymbols(input).map(encodeURIComponent).join(',')}`);
  };

  return (
    <section class="compare">
      <h1>Compare companies</h1>
      <form onSubmit={onSubmit} class="compare-form">
        <label for="compare-input">Up to {MAX_COMPARED} symbols</label>
        <input
          id="compare-input"
          value={input}
          placeholder="AAPL, MRVL, SNOW"
          onInput={(e) => setInput(e.currentTarget.value)}
        />
        <button type="submit">Compare</button>
      </form>
      {error && <ErrorState error={error} />}
      {companies && <Comparison companies={companies} />}
    </section>
  );
}

function Comparison({ companies }: { companies: Compared[] }) {
  const chart = useMemo(() => revenueChart(companies), [companies]);
  const metrics: [string, (c: Compared) => string][] = [
    ['Status', (c) => c.status],
    ['TTM revenue', (c) => compactMoney(c.ttm[0]?.revenue, c.currency ?? 'USD')],
    ['TTM net income', (c) => compactMoney(c.ttm[0]?.netIncome, c.currency ?? 'USD')],
    ['TTM EPS diluted', (c) => c.ttm[0]?.epsDiluted ?? '—'],
    ['TTM free cash flow', (c) => compactMoney(c.ttmCashFlow[0]?.freeCashFlow, c.currency ?? 'USD')],
    ['Gross margin', (c) => pct(c.ttm[0]?.metrics.grossMargin)],
    ['Operating margin', (c) => pct(c.ttm[0]?.metrics.operatingMargin)],
    ['Net margin', (c) => pct(c.ttm[0]?.metrics.netMargin)],
  ];
  return (
    <>
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Headline metrics">
        <table class="comparison">
          <caption>Headline metrics, trailing twelve months</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              {companies.map((c) => (
                <th scope="col" key={c.symbol}>
                  <a href={`/companies/${encodeURIComponent(c.symbol)}`}>{c.symbol}</a>
                  <span class="filing">{c.name ?? ''}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {metrics.map(([label, pick]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {companies.map((c) => (
                  <td key={c.symbol}>{label === 'Status' ? <StatusBadge status={c.status} /> : pick(c)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {chart.x.length > 0 && (
        <Chart title="Annual revenue by fiscal year" x={chart.x} series={chart.series} format={money} />
      )}
    </>
  );
}

const money = (value: number) => compactMoney(String(value));

function pct(value: string | null | undefined): string {
  return orDash(value, percent);
}

/** Annual revenue on one axis of fiscal years (fiscal-year ends differ between companies). */
function revenueChart(companies: Compared[]): { x: number[]; series: ChartSeries[] } {
  const years = [...new Set(companies.flatMap((c) => c.annual.map((s) => s.fiscalYear)))].sort((a, b) => a - b);
  return {
    // uPlot's time axis wants seconds: 1 July of each fiscal year stands for the year.
    x: years.map((year) => Date.UTC(year, 6, 1) / 1000),
    series: companies.map((c) => {
      const byYear = new Map(c.annual.map((s) => [s.fiscalYear, s.revenue]));
      return { label: c.symbol, values: years.map((year) => toNumber(byYear.get(year))) };
    }),
  };
}
