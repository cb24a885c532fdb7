import { download, toCsv } from '../csv';
import { filingUrl, groupDigits, percent, periodLabel } from '../format';
import { KIND_LABELS, PERIOD_LABELS, ROWS, valueOf } from '../statements';
import type { Kind, Period, RowSpec, Statement, Unit } from '../statements';

interface Props {
  kind: Kind;
  period: Period;
  symbol: string;
  cik: string | null;
  /** Newest first, as the API returns them. */
  statements: Statement[];
}

/**
 * One statement as a real table: a column per period (linked to its filing on SEC EDGAR),
 * a row per line item, then the metrics. Computed values are marked; each cell keeps the
 * API's exact value in `data-value`, which the CSV download writes.
 */
export function StatementTable({ kind, period, symbol, cik, statements }: Props) {
  const title = `${KIND_LABELS[kind]} · ${PERIOD_LABELS[period]}`;
  if (statements.length === 0) {
    return (
      <section class="statement" data-kind={kind}>
        <h2>{title}</h2>
        <p class="note">No {PERIOD_LABELS[period].toLowerCase()} statements on file.</p>
      </section>
    );
  }
  const rows = ROWS[kind];
  const onDownload = () =>
    download(`${symbol}-${kind}-${period}.csv`, toCsv(csvRows(rows, statements)));
  return (
    <section class="statement" data-kind={kind}>
      <div class="statement-head">
        <h2 id={`${kind}-title`}>{title}</h2>
        <button type="button" onClick={onDownload} data-csv={kind}>
          Download CSV
        </button>
      </div>
      <div class="table-scroll" tabIndex={0} role="region" aria-labelledby={`${kind}-title`}>
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Line item</th>
              {statements.map((s) => (
                <th scope="col" key={`${s.fiscalYear}-${s.fiscalPeriod}-${s.periodEnd}`}>
                  {cik ? (
                    <a href={filingUrl(cik, s.accessionNumber)} target="_blank" rel="noopener noreferrer">
                      {columnLabel(s)}
                    </a>
                  ) : (
                    columnLabel(s)
                  )}
                  <span class="filing">
                    {s.form} · {s.filedAt}
                    <br />
                    {s.accessionNumber}
                  </span>
                  {s.derived && <span class="derived-mark" title="Computed, not reported">computed</span>}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.key} class={row.metric ? 'metric' : undefined}>
                <th scope="row">{row.label}</th>
                {statements.map((s) => {
                  const value = valueOf(s, row);
                  const derived = !row.metric && s.derivedLineItems.includes(row.key);
                  return (
                    <td
                      key={`${s.fiscalYear}-${s.fiscalPeriod}-${s.periodEnd}`}
                      data-value={value ?? ''}
                      class={derived ? 'derived' : undefined}
                      title={derived ? 'Computed from its reported parts' : undefined}
                    >
                      {value == null ? '—' : display(value, row.unit)}
                      {derived && <sup aria-label="computed">*</sup>}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="legend">
        Amounts in {statements[0]?.currency ?? 'USD'}, exact as filed. * computed from reported parts; “computed” periods are
        derived (Q4 = FY − nine months, quarterly cash flows from year-to-date, TTM sums).
      </p>
    </section>
  );
}

function columnLabel(statement: Statement): string {
  return statement.fiscalPeriod === 'TTM' ? `TTM ${statement.periodEnd}` : periodLabel(statement);
}

function display(value: string, unit: Unit): string {
  switch (unit) {
    case 'money':
    case 'shares':
      return groupDigits(value);
    case 'percent':
      return percent(value);
    case 'times':
      return `${value}×`;
    case 'perShare':
    case 'factor':
      return value;
  }
}

/** The table's CSV: the same columns and rows, the exact values. */
export function csvRows(rows: RowSpec[], statements: Statement[]): (string | null)[][] {
  return [
    ['Line item', ...statements.map(columnLabel)],
    ...rows.map((row) => [row.label, ...statements.map((s) => valueOf(s, row))]),
  ];
}
