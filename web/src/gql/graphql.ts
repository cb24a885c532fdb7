/* eslint-disable */
/** Internal type. DO NOT USE DIRECTLY. */
type Exact<T extends { [key: string]: unknown }> = { [K in keyof T]: T[K] };
/** Internal type. DO NOT USE DIRECTLY. */
export type Incremental<T> = T | { [P in keyof T]?: P extends ' $fragmentName' | '__typename' ? T[P] : never };
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
/** Where a company stands in the registration and ingestion pipeline. */
export type CompanyStatus =
  /** Ingestion gave up; `statusReason` says why. */
  | 'FAILED'
  /** A worker is fetching and storing the filings. */
  | 'IN_PROGRESS'
  /** The symbol is not a listed company known to the securities master or the provider. */
  | 'NOT_FOUND'
  /** Requested; waiting for the ingestion worker. */
  | 'PENDING'
  /**
   * Not stored and not registered: this client asked for more new companies than its
   * per-minute limit allows; ask again in a minute. An answer only, never stored.
   */
  | 'RATE_LIMITED'
  /** Statements are stored and served. */
  | 'READY';

/**
 * The fiscal period a statement covers: the full fiscal year, one of its quarters, or the
 * trailing twelve months ending with a quarter (computed, never stored).
 */
export type FiscalPeriod =
  | 'FY'
  | 'Q1'
  | 'Q2'
  | 'Q3'
  | 'Q4'
  | 'TTM';

export type IncomeRowFragment = { fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, revenue: string | null, costOfRevenue: string | null, grossProfit: string | null, researchAndDevelopment: string | null, sellingAndMarketing: string | null, generalAndAdministrative: string | null, sellingGeneralAndAdministrative: string | null, operatingExpenses: string | null, operatingIncome: string | null, interestExpense: string | null, incomeBeforeTax: string | null, incomeTaxExpense: string | null, netIncome: string | null, epsBasic: string | null, epsDiluted: string | null, weightedAverageSharesBasic: string | null, weightedAverageSharesDiluted: string | null, shareSplitFactor: string, splitAdjusted: boolean, metrics: { grossMargin: string | null, operatingMargin: string | null, netMargin: string | null, ebitda: string | null, ebitdaMargin: string | null, effectiveTaxRate: string | null, interestCoverage: string | null, revenueGrowth: string | null, operatingIncomeGrowth: string | null, netIncomeGrowth: string | null, epsDilutedGrowth: string | null, revenueGrowthQoq: string | null, netIncomeGrowthQoq: string | null, epsDilutedGrowthQoq: string | null } };

export type BalanceRowFragment = { fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, cashAndEquivalents: string | null, shortTermInvestments: string | null, accountsReceivable: string | null, inventory: string | null, totalCurrentAssets: string | null, propertyPlantAndEquipmentNet: string | null, goodwill: string | null, intangibleAssets: string | null, totalAssets: string | null, accountsPayable: string | null, shortTermDebt: string | null, totalCurrentLiabilities: string | null, longTermDebt: string | null, totalLiabilities: string | null, totalEquity: string | null, retainedEarnings: string | null, totalLiabilitiesAndEquity: string | null, metrics: { currentRatio: string | null, debtToEquity: string | null, returnOnEquity: string | null, returnOnAssets: string | null } };

export type CashFlowRowFragment = { fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, netIncome: string | null, depreciationAndAmortization: string | null, stockBasedCompensation: string | null, operatingCashFlow: string | null, capitalExpenditure: string | null, investingCashFlow: string | null, financingCashFlow: string | null, dividendsPaid: string | null, shareRepurchases: string | null, netChangeInCash: string | null, freeCashFlow: string | null, metrics: { freeCashFlowMargin: string | null, operatingCashFlowMargin: string | null, operatingCashFlowGrowth: string | null, freeCashFlowGrowth: string | null, operatingCashFlowGrowthQoq: string | null, freeCashFlowGrowthQoq: string | null } };

export type CompanyHeaderFragment = { symbol: string, cik: string | null, name: string | null, exchange: string | null, currency: string | null, fiscalYearEnd: string | null, status: CompanyStatus, statusReason: string | null, lastIngestedAt: string | null };

export type CompanyPageQueryVariables = Exact<{
  symbol: string;
}>;


export type CompanyPageQuery = { company: { symbol: string, cik: string | null, name: string | null, exchange: string | null, currency: string | null, fiscalYearEnd: string | null, status: CompanyStatus, statusReason: string | null, lastIngestedAt: string | null, annualIncome: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, revenue: string | null, costOfRevenue: string | null, grossProfit: string | null, researchAndDevelopment: string | null, sellingAndMarketing: string | null, generalAndAdministrative: string | null, sellingGeneralAndAdministrative: string | null, operatingExpenses: string | null, operatingIncome: string | null, interestExpense: string | null, incomeBeforeTax: string | null, incomeTaxExpense: string | null, netIncome: string | null, epsBasic: string | null, epsDiluted: string | null, weightedAverageSharesBasic: string | null, weightedAverageSharesDiluted: string | null, shareSplitFactor: string, splitAdjusted: boolean, metrics: { grossMargin: string | null, operatingMargin: string | null, netMargin: string | null, ebitda: string | null, ebitdaMargin: string | null, effectiveTaxRate: string | null, interestCoverage: string | null, revenueGrowth: string | null, operatingIncomeGrowth: string | null, netIncomeGrowth: string | null, epsDilutedGrowth: string | null, revenueGrowthQoq: string | null, netIncomeGrowthQoq: string | null, epsDilutedGrowthQoq: string | null } }>, quarterlyIncome: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, revenue: string | null, costOfRevenue: string | null, grossProfit: string | null, researchAndDevelopment: string | null, sellingAndMarketing: string | null, generalAndAdministrative: string | null, sellingGeneralAndAdministrative: string | null, operatingExpenses: string | null, operatingIncome: string | null, interestExpense: string | null, incomeBeforeTax: string | null, incomeTaxExpense: string | null, netIncome: string | null, epsBasic: string | null, epsDiluted: string | null, weightedAverageSharesBasic: string | null, weightedAverageSharesDiluted: string | null, shareSplitFactor: string, splitAdjusted: boolean, metrics: { grossMargin: string | null, operatingMargin: string | null, netMargin: string | null, ebitda: string | null, ebitdaMargin: string | null, effectiveTaxRate: string | null, interestCoverage: string | null, revenueGrowth: string | null, operatingIncomeGrowth: string | null, netIncomeGrowth: string | null, epsDilutedGrowth: string | null, revenueGrowthQoq: string | null, netIncomeGrowthQoq: string | null, epsDilutedGrowthQoq: string | null } }>, ttmIncome: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, revenue: string | null, costOfRevenue: string | null, grossProfit: string | null, researchAndDevelopment: string | null, sellingAndMarketing: string | null, generalAndAdministrative: string | null, sellingGeneralAndAdministrative: string | null, operatingExpenses: string | null, operatingIncome: string | null, interestExpense: string | null, incomeBeforeTax: string | null, incomeTaxExpense: string | null, netIncome: string | null, epsBasic: string | null, epsDiluted: string | null, weightedAverageSharesBasic: string | null, weightedAverageSharesDiluted: string | null, shareSplitFactor: string, splitAdjusted: boolean, metrics: { grossMargin: string | null, operatingMargin: string | null, netMargin: string | null, ebitda: string | null, ebitdaMargin: string | null, effectiveTaxRate: string | null, interestCoverage: string | null, revenueGrowth: string | null, operatingIncomeGrowth: string | null, netIncomeGrowth: string | null, epsDilutedGrowth: string | null, revenueGrowthQoq: string | null, netIncomeGrowthQoq: string | null, epsDilutedGrowthQoq: string | null } }>, annualBalance: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, cashAndEquivalents: string | null, shortTermInvestments: string | null, accountsReceivable: string | null, inventory: string | null, totalCurrentAssets: string | null, propertyPlantAndEquipmentNet: string | null, goodwill: string | null, intangibleAssets: string | null, totalAssets: string | null, accountsPayable: string | null, shortTermDebt: string | null, totalCurrentLiabilities: string | null, longTermDebt: string | null, totalLiabilities: string | null, totalEquity: string | null, retainedEarnings: string | null, totalLiabilitiesAndEquity: string | null, metrics: { currentRatio: string | null, debtToEquity: string | null, returnOnEquity: string | null, returnOnAssets: string | null } }>, quarterlyBalance: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, cashAndEquivalents: string | null, shortTermInvestments: string | null, accountsReceivable: string | null, inventory: string | null, totalCurrentAssets: string | null, propertyPlantAndEquipmentNet: string | null, goodwill: string | null, intangibleAssets: string | null, totalAssets: string | null, accountsPayable: string | null, shortTermDebt: string | null, totalCurrentLiabilities: string | null, longTermDebt: string | null, totalLiabilities: string | null, totalEquity: string | null, retainedEarnings: string | null, totalLiabilitiesAndEquity: string | null, metrics: { currentRatio: string | null, debtToEquity: string | null, returnOnEquity: string | null, returnOnAssets: string | null } }>, ttmBalance: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, cashAndEquivalents: string | null, shortTermInvestments: string | null, accountsReceivable: string | null, inventory: string | null, totalCurrentAssets: string | null, propertyPlantAndEquipmentNet: string | null, goodwill: string | null, intangibleAssets: string | null, totalAssets: string | null, accountsPayable: string | null, shortTermDebt: string | null, totalCurrentLiabilities: string | null, longTermDebt: string | null, totalLiabilities: string | null, totalEquity: string | null, retainedEarnings: string | null, totalLiabilitiesAndEquity: string | null, metrics: { currentRatio: string | null, debtToEquity: string | null, returnOnEquity: string | null, returnOnAssets: string | null } }>, annualCashFlow: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, netIncome: string | null, depreciationAndAmortization: string | null, stockBasedCompensation: string | null, operatingCashFlow: string | null, capitalExpenditure: string | null, investingCashFlow: string | null, financingCashFlow: string | null, dividendsPaid: string | null, shareRepurchases: string | null, netChangeInCash: string | null, freeCashFlow: string | null, metrics: { freeCashFlowMargin: string | null, operatingCashFlowMargin: string | null, operatingCashFlowGrowth: string | null, freeCashFlowGrowth: string | null, operatingCashFlowGrowthQoq: string | null, freeCashFlowGrowthQoq: string | null } }>, quarterlyCashFlow: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, netIncome: string | null, depreciationAndAmortization: string | null, stockBasedCompensation: string | null, operatingCashFlow: string | null, capitalExpenditure: string | null, investingCashFlow: string | null, financingCashFlow: string | null, dividendsPaid: string | null, shareRepurchases: string | null, netChangeInCash: string | null, freeCashFlow: string | null, metrics: { freeCashFlowMargin: string | null, operatingCashFlowMargin: string | null, operatingCashFlowGrowth: string | null, freeCashFlowGrowth: string | null, operatingCashFlowGrowthQoq: string | null, freeCashFlowGrowthQoq: string | null } }>, ttmCashFlow: Array<{ fiscalYear: number, fiscalPeriod: FiscalPeriod, periodStart: string | null, periodEnd: string, form: string, filedAt: string, accessionNumber: string, currency: string, derived: boolean, derivedLineItems: Array<string>, netIncome: string | null, depreciationAndAmortization: string | null, stockBasedCompensation: string | null, operatingCashFlow: string | null, capitalExpenditure: string | null, investingCashFlow: string | null, financingCashFlow: string | null, dividendsPaid: string | null, shareRepurchases: string | null, netChangeInCash: string | null, freeCashFlow: string | null, metrics: { freeCashFlowMargin: string | null, operatingCashFlowMargin: string | null, operatingCashFlowGrowth: string | null, freeCashFlowGrowth: string | null, operatingCashFlowGrowthQoq: string | null, freeCashFlowGrowthQoq: string | null } }> } };

export type SearchListingsQueryVariables = Exact<{
  query: string;
}>;


export type SearchListingsQuery = { searchListings: { nodes: Array<{ symbol: string, name: string, exchange: string | null, company: { status: CompanyStatus } | null }> } };

export type CompareQueryVariables = Exact<{
  symbols: Array<string> | string;
}>;


export type CompareQuery = { companies: Array<{ symbol: string, cik: string | null, name: string | null, exchange: string | null, currency: string | null, fiscalYearEnd: string | null, status: CompanyStatus, statusReason: string | null, lastIngestedAt: string | null, ttm: Array<{ revenue: string | null, netIncome: string | null, epsDiluted: string | null, metrics: { grossMargin: string | null, operatingMargin: string | null, netMargin: string | null } }>, ttmCashFlow: Array<{ freeCashFlow: string | null }>, annual: Array<{ fiscalYear: number, periodEnd: string, revenue: string | null }> }> };

export type RequestRegistrationMutationVariables = Exact<{
  symbol: string;
}>;


export type RequestRegistrationMutation = { requestRegistration: { symbol: string, status: CompanyStatus, statusReason: string | null } };

export type CompanyStatusSubscriptionVariables = Exact<{
  symbol: string;
}>;


export type CompanyStatusSubscription = { companyStatus: { symbol: string, status: CompanyStatus, statusReason: string | null, at: string } };

export class TypedDocumentString<TResult, TVariables>
  extends String
  implements DocumentTypeDecoration<TResult, TVariables>
{
  __apiType?: NonNullable<DocumentTypeDecoration<TResult, TVariables>['__apiType']>;
  private value: string;
  public __meta__?: Record<string, any> | undefined;

  constructor(value: string, __meta__?: Record<string, any> | undefined) {
    super(value);
    this.value = value;
    this.__meta__ = __meta__;
  }

  override toString(): string & DocumentTypeDecoration<TResult, TVariables> {
    return this.value;
  }
}
export const IncomeRowFragmentDoc = new TypedDocumentString(`
    fragment IncomeRow on IncomeStatement {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  revenue
  costOfRevenue
  grossProfit
  researchAndDevelopment
  sellingAndMarketing
  generalAndAdministrative
  sellingGeneralAndAdministrative
  operatingExpenses
  operatingIncome
  interestExpense
  incomeBeforeTax
  incomeTaxExpense
  netIncome
  epsBasic
  epsDiluted
  weightedAverageSharesBasic
  weightedAverageSharesDiluted
  shareSplitFactor
  splitAdjusted
  metrics {
    grossMargin
    operatingMargin
    netMargin
    ebitda
    ebitdaMargin
    effectiveTaxRate
    interestCoverage
    revenueGrowth
    operatingIncomeGrowth
    netIncomeGrowth
    epsDilutedGrowth
    revenueGrowthQoq
    netIncomeGrowthQoq
    epsDilutedGrowthQoq
  }
}
    `, {"fragmentName":"IncomeRow"}) as unknown as TypedDocumentString<IncomeRowFragment, unknown>;
export const BalanceRowFragmentDoc = new TypedDocumentString(`
    fragment BalanceRow on BalanceSheet {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  cashAndEquivalents
  shortTermInvestments
  accountsReceivable
  inventory
  totalCurrentAssets
  propertyPlantAndEquipmentNet
  goodwill
  intangibleAssets
  totalAssets
  accountsPayable
  shortTermDebt
  totalCurrentLiabilities
  longTermDebt
  totalLiabilities
  totalEquity
  retainedEarnings
  totalLiabilitiesAndEquity
  metrics {
    currentRatio
    debtToEquity
    returnOnEquity
    returnOnAssets
  }
}
    `, {"fragmentName":"BalanceRow"}) as unknown as TypedDocumentString<BalanceRowFragment, unknown>;
export const CashFlowRowFragmentDoc = new TypedDocumentString(`
    fragment CashFlowRow on CashFlowStatement {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  netIncome
  depreciationAndAmortization
  stockBasedCompensation
  operatingCashFlow
  capitalExpenditure
  investingCashFlow
  financingCashFlow
  dividendsPaid
  shareRepurchases
  netChangeInCash
  freeCashFlow
  metrics {
    freeCashFlowMargin
    operatingCashFlowMargin
    operatingCashFlowGrowth
    freeCashFlowGrowth
    operatingCashFlowGrowthQoq
    freeCashFlowGrowthQoq
  }
}
    `, {"fragmentName":"CashFlowRow"}) as unknown as TypedDocumentString<CashFlowRowFragment, unknown>;
export const CompanyHeaderFragmentDoc = new TypedDocumentString(`
    fragment CompanyHeader on Company {
  symbol
  cik
  name
  exchange
  currency
  fiscalYearEnd
  status
  statusReason
  lastIngestedAt
}
    `, {"fragmentName":"CompanyHeader"}) as unknown as TypedDocumentString<CompanyHeaderFragment, unknown>;
export const CompanyPageDocument = new TypedDocumentString(`
    query CompanyPage($symbol: String!) {
  company(symbol: $symbol) {
    ...CompanyHeader
    annualIncome: incomeStatements(period: ANNUAL, last: 20) {
      ...IncomeRow
    }
    quarterlyIncome: incomeStatements(period: QUARTERLY, last: 40) {
      ...IncomeRow
    }
    ttmIncome: incomeStatements(period: TTM, last: 8) {
      ...IncomeRow
    }
    annualBalance: balanceSheets(period: ANNUAL, last: 20) {
      ...BalanceRow
    }
    quarterlyBalance: balanceSheets(period: QUARTERLY, last: 40) {
      ...BalanceRow
    }
    ttmBalance: balanceSheets(period: TTM, last: 8) {
      ...BalanceRow
    }
    annualCashFlow: cashFlowStatements(period: ANNUAL, last: 20) {
      ...CashFlowRow
    }
    quarterlyCashFlow: cashFlowStatements(period: QUARTERLY, last: 40) {
      ...CashFlowRow
    }
    ttmCashFlow: cashFlowStatements(period: TTM, last: 8) {
      ...CashFlowRow
    }
  }
}
    fragment IncomeRow on IncomeStatement {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  revenue
  costOfRevenue
  grossProfit
  researchAndDevelopment
  sellingAndMarketing
  generalAndAdministrative
  sellingGeneralAndAdministrative
  operatingExpenses
  operatingIncome
  interestExpense
  incomeBeforeTax
  incomeTaxExpense
  netIncome
  epsBasic
  epsDiluted
  weightedAverageSharesBasic
  weightedAverageSharesDiluted
  shareSplitFactor
  splitAdjusted
  metrics {
    grossMargin
    operatingMargin
    netMargin
    ebitda
    ebitdaMargin
    effectiveTaxRate
    interestCoverage
    revenueGrowth
    operatingIncomeGrowth
    netIncomeGrowth
    epsDilutedGrowth
    revenueGrowthQoq
    netIncomeGrowthQoq
    epsDilutedGrowthQoq
  }
}
fragment BalanceRow on BalanceSheet {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  cashAndEquivalents
  shortTermInvestments
  accountsReceivable
  inventory
  totalCurrentAssets
  propertyPlantAndEquipmentNet
  goodwill
  intangibleAssets
  totalAssets
  accountsPayable
  shortTermDebt
  totalCurrentLiabilities
  longTermDebt
  totalLiabilities
  totalEquity
  retainedEarnings
  totalLiabilitiesAndEquity
  metrics {
    currentRatio
    debtToEquity
    returnOnEquity
    returnOnAssets
  }
}
fragment CashFlowRow on CashFlowStatement {
  fiscalYear
  fiscalPeriod
  periodStart
  periodEnd
  form
  filedAt
  accessionNumber
  currency
  derived
  derivedLineItems
  netIncome
  depreciationAndAmortization
  stockBasedCompensation
  operatingCashFlow
  capitalExpenditure
  investingCashFlow
  financingCashFlow
  dividendsPaid
  shareRepurchases
  netChangeInCash
  freeCashFlow
  metrics {
    freeCashFlowMargin
    operatingCashFlowMargin
    operatingCashFlowGrowth
    freeCashFlowGrowth
    operatingCashFlowGrowthQoq
    freeCashFlowGrowthQoq
  }
}
fragment CompanyHeader on Company {
  symbol
  cik
  name
  exchange
  currency
  fiscalYearEnd
  status
  statusReason
  lastIngestedAt
}`) as unknown as TypedDocumentString<CompanyPageQuery, CompanyPageQueryVariables>;
export const SearchListingsDocument = new TypedDocumentString(`
    query SearchListings($query: String!) {
  searchListings(query: $query, first: 8) {
    nodes {
      symbol
      name
      exchange
      company {
        status
      }
    }
  }
}
    `) as unknown as TypedDocumentString<SearchListingsQuery, SearchListingsQueryVariables>;
export const CompareDocument = new TypedDocumentString(`
    query Compare($symbols: [String!]!) {
  companies(symbols: $symbols) {
    ...CompanyHeader
    ttm: incomeStatements(period: TTM, last: 1) {
      revenue
      netIncome
      epsDiluted
      metrics {
        grossMargin
        operatingMargin
        netMargin
      }
    }
    ttmCashFlow: cashFlowStatements(period: TTM, last: 1) {
      freeCashFlow
    }
    annual: incomeStatements(period: ANNUAL, last: 10) {
      fiscalYear
      periodEnd
      revenue
    }
  }
}
    fragment CompanyHeader on Company {
  symbol
  cik
  name
  exchange
  currency
  fiscalYearEnd
  status
  statusReason
  lastIngestedAt
}`) as unknown as TypedDocumentString<CompareQuery, CompareQueryVariables>;
export const RequestRegistrationDocument = new TypedDocumentString(`
    mutation RequestRegistration($symbol: String!) {
  requestRegistration(symbol: $symbol) {
    symbol
    status
    statusReason
  }
}
    `) as unknown as TypedDocumentString<RequestRegistrationMutation, RequestRegistrationMutationVariables>;
export const CompanyStatusDocument = new TypedDocumentString(`
    subscription CompanyStatus($symbol: String!) {
  companyStatus(symbol: $symbol) {
    symbol
    status
    statusReason
    at
  }
}
    `) as unknown as TypedDocumentString<CompanyStatusSubscription, CompanyStatusSubscriptionVariables>;