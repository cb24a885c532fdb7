import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { ApiError, asApiError, execute } from '../api';
import { CompanyPageDocument } from '../gql/graphql';
import type { CompanyPageQuery } from '../gql/graphql';
import { Chart, toNumber, toSeconds, type ChartSeries } from '../components/Chart';
import { ErrorState } from '../components/ErrorState';
import { Registration } from '../components/Registration';
import { StatementTable } from '../components/StatementTable';
import { StatusBadge } from '../components/StatusBadge';
import { compactMoney, dateTime, orDash, percent } from '../format';
import { rememberCompany } from '../recent';
import { PERIOD_LABELS } from '../statements';
import type { Kind, Period, Statement } from '../statements';

type Company = CompanyPageQuery['company'];


const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function CompanyPage() {
  const { params } = useRoute();
  const symbol = (params.symbol ?? '').toUpperCase();
  const [company, setCompany] = useState<Company | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  // Only the answer for the symbol in the address counts: after a quick A → B navigation,
  // A's late answer is dropped.
  const current = useRef(symbol);
  current.current = symbol;
  const load = useCallback(() => {
    setError(null);
    execute(CompanyPageDocument, { symbol })
      .then((data) => {
        if (current.current !== symbol) return;
        setCompany(data.company);
        if (data.company.status === 'READY') rememberCompany(data.company.symbol);
      })
      .catch((e: unknown) => {
        if (current.current === symbol) setError(asApiError(e));
      });
  }, [symbol]);

  useEffect(() => {
    setCompany(null);
    load();
  }, [load]);

  useEffect(() => {
    document.title = `${symbol} · Finstage Market Data`;
  }, [symbol]);

  if (error) return <ErrorState error={error} onRetry={load} />;
  if (!company) return <p class="loading" aria-busy="true">Loading {symbol}…</p>;
  return (
    <article class="company">
      <CompanyHeader company={company} />
      {company.status === 'READY' ? (
        <Financials company={company} />
      ) : (
        <Registration
          symbol={company.symbol}
          status={company.status}
          reason={company.statusReason ?? null}
          onReady={load}
        />
      )}
    </article>
  );
}

function CompanyHeader({ company }: { company: Company }) {
  return (
    <header class="company-header">
      <h1>
        {company.name ?? company.symbol} <span class="symbol">{company.symbol}</span>
      </h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={company.status} />
          </dd>
        </div>
        <div>
          <dt>CIK</dt>
          <dd>{company.cik ?? '—'}</dd>
        </div>
        <div>
          <dt>Exchange</dt>
          <dd>{company.exchange ?? '—'}</dd>
        </div>
        <div>
          <dt>Fiscal year ends</dt>
          <dd>{fiscalYearEnd(company.fiscalYearEnd)}</dd>
        </div>
        <div>
          <dt>Last ingested</dt>
          <dd>{dateTime(company.lastIngestedAt)}</dd>
        </div>
      </dl>
    </header>
  );
}

function fiscalYearEnd(mmdd: string | null | undefined): string {
  if (!mmdd || mmdd.length !== 4) return '—';
  const month = MONTHS[Number(mmdd.slice(0, 2)) - 1];
  return month ? `${month} ${Number(mmdd.slice(2))}` : mmdd;
}

function Financials({ company }: { company: Company }) {
  const [period, setPeriod] = useState<Period>('annual');
  const statements = useMemo(() => byPeriod(company), [company]);
  const shown = statements[period];
  return (
    <>
      <HeadlineCards company={company} />
      <div class="period-switch" role="group" aria-label="Period">
        {(Object.keys(PERIOD_LABELS) as Period[]).map((choice) => (
          <button
            key={choice}
            type="button"
            aria-pressed={period === choice}
            onClick={() => setPeriod(choice)}
          >
            {PERIOD_LABELS[choice]}
          </button>
        ))}
      </div>
      <Charts income={shown.income} cashFlow={shown.cashFlow} />
      {(['income', 'balance', 'cashFlow'] as Kind[]).map((kind) => (
        <StatementTable
          key={`${kind}-${period}`}
          kind={kind}
          period={period}
          symbol={company.symbol}
          cik={company.cik ?? null}
          statements={shown[kind]}
        />
      ))}
    </>
  );
}

type Statements = {
  income: Company['annualIncome'];
  balance: Company['annualBalance'];
  cashFlow: Company['annualCashFlow'];
};

function byPeriod(company: Company): Record<Period, Statements> {
  return {
    annual: {
      income: company.annualIncome,
      balance: company.annualBalance,
      cashFlow: company.annualCashFlow,
    },
    quarterly: {
      income: company.quarterlyIncome,
      balance: company.quarterlyBalance,
      cashFlow: company.quarterlyCashFlow,
    },
    ttm: { income: company.ttmIncome, balance: company.ttmBalance, cashFlow: company.ttmCashFlow },
  };
}

function HeadlineCards({ company }: { company: Company }) {
  const income = company.ttmIncome[0];
  const cashFlow = company.ttmCashFlow[0];
  if (!income) return <p class="note">No trailing-twelve-month figures: four consecutive quarters are not on file.</p>;
  const currency = income.currency;
  const cards: [string, string][] = [
    ['Revenue', compactMoney(income.revenue, currency)],
    ['Net income', compactMoney(income.netIncome, currency)],
    ['EPS diluted', income.epsDiluted ?? '—'],
    ['Free cash flow', compactMoney(cashFlow?.freeCashFlow, currency)],
    ['Gross margin', orDash(income.metrics.grossMargin, percent)],
    ['Operating margin', orDash(income.metrics.operatingMargin, percent)],
    ['Net margin', orDash(income.metrics.netMargin, percent)],
    ['FCF margin', orDash(cashFlow?.metrics.freeCashFlowMargin, percent)],
  ];
  return (
    <section class="cards" aria-label="Trailing twelve months">
      <h2>
        Trailing twelve months <small>to {income.periodEnd}</small>
      </h2>
      <ul>
        {cards.map(([label, value]) => (
          <li key={label} class="card">
            <span class="label">{label}</span>
            <span class="value">{value}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

const money = (v: number) => compactMoney(String(v));
const fraction = (v: number) => `${(v * 100).toFixed(1)} %`;
const perShare = (v: number) => v.toFixed(2);

function Charts({ income, cashFlow }: { income: Statement[]; cashFlow: Statement[] }) {
  const charts = useMemo(() => chartData(income as Statements['income'], cashFlow as Statements['cashFlow']), [income, cashFlow]);
  if (charts.x.length === 0) return null;
  return (
    <section class="charts" aria-label="Charts">
      <Chart title="Revenue, net income, free cash flow" x={charts.x} series={charts.money} format={money} />
      <Chart title="Margins" x={charts.x} series={charts.margins} format={fraction} />
      <Chart title="EPS diluted (current share basis)" x={charts.x} series={charts.eps} format={perShare} />
    </section>
  );
}

function chartData(income: Statements['income'], cashFlow: Statements['cashFlow']) {
  const oldestFirst = [...income].reverse();
  const flows = new Map(cashFlow.map((c) => [`${c.fiscalYear}-${c.fiscalPeriod}-${c.periodEnd}`, c]));
  const flowOf = (s: (typeof oldestFirst)[number]) =>
    flows.get(`${s.fiscalYear}-${s.fiscalPeriod}-${s.periodEnd}`);
  const series = (label: string, pick: (s: (typeof oldestFirst)[number]) => string | null | undefined): ChartSeries => ({
    label,
    values: oldestFirst.map((s) => toNumber(pick(s))),
  });
  return {
    x: oldestFirst.map((s) => toSeconds(s.periodEnd)),
    money: [
      series('Revenue', (s) => s.revenue),
      series('Net income', (s) => s.netIncome),
      series('Free cash flow', (s) => flowOf(s)?.freeCashFlow),
    ],
    margins: [
      series('Gross', (s) => s.metrics.grossMargin),
      series('Operating', (s) => s.metrics.operatingMargin),
      series('Net', (s) => s.metrics.netMargin),
      series('FCF', (s) => flowOf(s)?.metrics.freeCashFlowMargin),
    ],
    eps: [series('EPS diluted', (s) => s.epsDiluted)],
  };
}
