// The rows of each statement table: every line item the API serves, then its metrics.
// `key` is the GraphQL field; `derivedLineItems` name the same keys.

import type { BalanceRowFragment, CashFlowRowFragment, IncomeRowFragment } from './gql/graphql';

export type Kind = 'income' | 'balance' | 'cashFlow';
export type Period = 'annual' | 'quarterly' | 'ttm';
export type Statement = IncomeRowFragment | BalanceRowFragment | CashFlowRowFragment;

/** How a value reads: money and counts as grouped digits, fractions as percentages. */
export type Unit = 'money' | 'perShare' | 'shares' | 'factor' | 'percent' | 'times';

export interface RowSpec {
  key: string;
  label: string;
  unit: Unit;
  /** Read from `statement.metrics` rather than the statement. */
  metric?: boolean;
}

const money = (key: string, label: string): RowSpec => ({ key, label, unit: 'money' });
const metric = (key: string, label: string, unit: Unit = 'percent'): RowSpec => ({
  key,
  label,
  unit,
  metric: true,
});

export const ROWS: Record<Kind, RowSpec[]> = {
  income: [
    money('revenue', 'Revenue'),
    money('costOfRevenue', 'Cost of revenue'),
    money('grossProfit', 'Gross profit'),
    money('researchAndDevelopment', 'Research and development'),
    money('sellingAndMarketing', 'Selling and marketing'),
    money('generalAndAdministrative', 'General and administrative'),
    money('sellingGeneralAndAdministrative', 'SG&A'),
    money('operatingExpenses', 'Operating expenses'),
    money('operatingIncome', 'Operating income'),
    money('interestExpense', 'Interest expense'),
    money('incomeBeforeTax', 'Income before tax'),
    money('incomeTaxExpense', 'Income tax expense'),
    money('netIncome', 'Net income'),
    { key: 'epsBasic', label: 'EPS basic', unit: 'perShare' },
    { key: 'epsDiluted', label: 'EPS diluted', unit: 'perShare' },
    { key: 'weightedAverageSharesBasic', label: 'Weighted shares basic', unit: 'shares' },
    { key: 'weightedAverageSharesDiluted', label: 'Weighted shares diluted', unit: 'shares' },
    { key: 'shareSplitFactor', label: 'Share split factor', unit: 'factor' },
    metric('grossMargin', 'Gross margin'),
    metric('operatingMargin', 'Operating margin'),
    metric('netMargin', 'Net margin'),
    metric('ebitda', 'EBITDA', 'money'),
    metric('ebitdaMargin', 'EBITDA margin'),
    metric('effectiveTaxRate', 'Effective tax rate'),
    metric('interestCoverage', 'Interest coverage', 'times'),
    metric('revenueGrowth', 'Revenue growth YoY'),
    metric('operatingIncomeGrowth', 'Operating income growth YoY'),
    metric('netIncomeGrowth', 'Net income growth YoY'),
    metric('epsDilutedGrowth', 'EPS diluted growth YoY'),
    metric('revenueGrowthQoq', 'Revenue growth QoQ'),
    metric('netIncomeGrowthQoq', 'Net income growth QoQ'),
    metric('epsDilutedGrowthQoq', 'EPS diluted growth QoQ'),
  ],
  balance: [
    money('cashAndEquivalents', 'Cash and equivalents'),
    money('shortTermInvestments', 'Short-term investments'),
    money('accountsReceivable', 'Accounts receivable'),
    money('inventory', 'Inventory'),
    money('totalCurrentAssets', 'Total current assets'),
    money('propertyPlantAndEquipmentNet', 'Property, plant and equipment'),
    money('goodwill', 'Goodwill'),
    money('intangibleAssets', 'Intangible assets'),
    money('totalAssets', 'Total assets'),
    money('accountsPayable', 'Accounts payable'),
    money('shortTermDebt', 'Short-term debt'),
    money('totalCurrentLiabilities', 'Total current liabilities'),
    money('longTermDebt', 'Long-term debt'),
    money('totalLiabilities', 'Total liabilities'),
    money('totalEquity', 'Total equity'),
    money('retainedEarnings', 'Retained earnings'),
    money('totalLiabilitiesAndEquity', 'Total liabilities and equity'),
    metric('currentRatio', 'Current ratio', 'times'),
    metric('debtToEquity', 'Debt to equity', 'times'),
    metric('returnOnEquity', 'Return on equity'),
    metric('returnOnAssets', 'Return on assets'),
  ],
  cashFlow: [
    money('netIncome', 'Net income'),
    money('depreciationAndAmortization', 'Depreciation and amortization'),
    money('stockBasedCompensation', 'Stock-based compensation'),
    money('operatingCashFlow', 'Operating cash flow'),
    money('capitalExpenditure', 'Capital expenditure'),
    money('freeCashFlow', 'Free cash flow'),
    money('investingCashFlow', 'Investing cash flow'),
    money('financingCashFlow', 'Financing cash flow'),
    money('dividendsPaid', 'Dividends paid'),
    money('shareRepurchases', 'Share repurchases'),
    money('netChangeInCash', 'Net change in cash'),
    metric('freeCashFlowMargin', 'Free cash flow margin'),
    metric('operatingCashFlowMargin', 'Operating cash flow margin'),
    metric('operatingCashFlowGrowth', 'Operating cash flow growth YoY'),
    metric('freeCashFlowGrowth', 'Free cash flow growth YoY'),
    metric('operatingCashFlowGrowthQoq', 'Operating cash flow growth QoQ'),
    metric('freeCashFlowGrowthQoq', 'Free cash flow growth QoQ'),
  ],
};

/** The period switch's choices, in the order shown. */
export const PERIOD_LABELS: Record<Period, string> = {
  annual: 'Annual',
  quarterly: 'Quarterly',
  ttm: 'TTM',
};

export const KIND_LABELS: Record<Kind, string> = {
  income: 'Income statement',
  balance: 'Balance sheet',
  cashFlow: 'Cash flow',
};

/** The exact value of a row in one statement, as the API sent it. */
export function valueOf(statement: Statement, row: RowSpec): string | null {
  const source = (row.metric ? statement.metrics : statement) as unknown as Record<
    string,
    string | null | undefined
  >;
  return source[row.key] ?? null;
}
