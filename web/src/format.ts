// Display of the API's exact decimal strings. Figures are never turned into floating point
// for tables or CSV: digits are grouped as strings. Charts alone use numbers.

/** `"-383285000000.5"` → `"-383,285,000,000.5"`. */
export function groupDigits(value: string): string {
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const [whole = '', fraction] = digits.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A fraction with 4 decimals (`"0.4413"`) as a percentage with 2 (`"44.13 %"`), exactly. */
export function percent(value: string): string {
  const negative = value.startsWith('-');
  const digits = negative ? value.slice(1) : value;
  const [whole = '0', fraction = ''] = digits.split('.');
  const padded = `${fraction}0000`;
  const hundreds = `${whole}${padded.slice(0, 2)}`.replace(/^0+(?=\d)/, '');
  const rest = padded.slice(2, 4);
  return `${negative ? '-' : ''}${groupDigits(hundreds)}.${rest} %`;
}

/** Money for headline cards: `"383285000000"` → `"$383.29 B"` (display only). */
export function compactMoney(value: string | null | undefined, currency = 'USD'): string {
  if (value == null) return '—';
  const amount = Number(value);
  const units: [number, string][] = [
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
  ];
  const symbol = currency === 'USD' ? '$' : `${currency} `;
  for (const [size, unit] of units) {
    if (Math.abs(amount) >= size) return `${symbol}${(amount / size).toFixed(2)} ${unit}`;
  }
  return `${symbol}${groupDigits(value)}`;
}

/** `format(value)`, or a dash where there is no value. */
export function orDash(value: string | null | undefined, format: (v: string) => string): string {
  return value == null ? '—' : format(value);
}

export function periodLabel(statement: { fiscalYear: number; fiscalPeriod: string }): string {
  return statement.fiscalPeriod === 'FY'
    ? `FY${statement.fiscalYear}`
    : `${statement.fiscalPeriod} FY${statement.fiscalYear}`;
}

/** The filing's index on SEC EDGAR. */
export function filingUrl(cik: string, accession: string): string {
  const company = String(Number(cik));
  return `https://www.sec.gov/Archives/edgar/data/${company}/${accession.replace(/-/g, '')}/${accession}-index.htm`;
}

export function dateTime(value: string | null | undefined): string {
  if (!value) return '—';
  return new Date(value).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}
