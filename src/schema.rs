// The diesel table definitions, mirroring migrations/; regenerate with `diesel print-schema`
// (see diesel.toml). Top level because both `domain` (row derives) and `db` (queries) use it.

diesel::table! {
    companies (id) {
        id -> BigInt,
        symbol -> Varchar,
        cik -> Nullable<Varchar>,
        name -> Nullable<Varchar>,
        exchange -> Nullable<Varchar>,
        currency -> Nullable<Varchar>,
        fiscal_year_end -> Nullable<Varchar>,
        status -> Varchar,
        status_reason -> Nullable<Varchar>,
        created_at -> Datetime,
        updated_at -> Datetime,
        last_ingested_at -> Nullable<Datetime>,
        sic_code -> Nullable<Varchar>,
        sic_description -> Nullable<Varchar>,
    }
}

diesel::table! {
    registration_requests (id) {
        id -> BigInt,
        symbol -> Varchar,
        state -> Varchar,
        attempts -> Integer,
        last_error -> Nullable<Varchar>,
        requested_at -> Datetime,
        published_at -> Nullable<Datetime>,
        lease_expires_at -> Nullable<Datetime>,
        completed_at -> Nullable<Datetime>,
        open_symbol -> Nullable<Varchar>,
        traceparent -> Nullable<Varchar>,
    }
}

diesel::table! {
    listings (symbol) {
        symbol -> Varchar,
        cik -> Varchar,
        name -> Varchar,
        exchange -> Nullable<Varchar>,
    }
}

diesel::table! {
    income_statements (id) {
        id -> BigInt,
        company_id -> BigInt,
        fiscal_year -> Integer,
        fiscal_period -> Varchar,
        period_start -> Nullable<Date>,
        period_end -> Date,
        form -> Varchar,
        filed_at -> Date,
        accession_number -> Varchar,
        currency -> Varchar,
        derived -> Bool,
        derived_items -> Varchar,
        revenue -> Nullable<Decimal>,
        cost_of_revenue -> Nullable<Decimal>,
        gross_profit -> Nullable<Decimal>,
        research_and_development -> Nullable<Decimal>,
        selling_and_marketing -> Nullable<Decimal>,
        general_and_administrative -> Nullable<Decimal>,
        selling_general_and_administrative -> Nullable<Decimal>,
        operating_expenses -> Nullable<Decimal>,
        operating_income -> Nullable<Decimal>,
        interest_expense -> Nullable<Decimal>,
        income_before_tax -> Nullable<Decimal>,
        income_tax_expense -> Nullable<Decimal>,
        net_income -> Nullable<Decimal>,
        eps_basic -> Nullable<Decimal>,
        eps_diluted -> Nullable<Decimal>,
        weighted_average_shares_basic -> Nullable<BigInt>,
        weighted_average_shares_diluted -> Nullable<BigInt>,
        share_split_factor -> Decimal,
        updated_at -> Datetime,
    }
}

diesel::table! {
    balance_sheets (id) {
        id -> BigInt,
        company_id -> BigInt,
        fiscal_year -> Integer,
        fiscal_period -> Varchar,
        period_start -> Nullable<Date>,
        period_end -> Date,
        form -> Varchar,
        filed_at -> Date,
        accession_number -> Varchar,
        currency -> Varchar,
        derived -> Bool,
        derived_items -> Varchar,
        cash_and_equivalents -> Nullable<Decimal>,
        short_term_investments -> Nullable<Decimal>,
        accounts_receivable -> Nullable<Decimal>,
        inventory -> Nullable<Decimal>,
        total_current_assets -> Nullable<Decimal>,
        property_plant_and_equipment_net -> Nullable<Decimal>,
        goodwill -> Nullable<Decimal>,
        intangible_assets -> Nullable<Decimal>,
        total_assets -> Nullable<Decimal>,
        accounts_payable -> Nullable<Decimal>,
        short_term_debt -> Nullable<Decimal>,
        total_current_liabilities -> Nullable<Decimal>,
        long_term_debt -> Nullable<Decimal>,
        total_liabilities -> Nullable<Decimal>,
        total_equity -> Nullable<Decimal>,
        retained_earnings -> Nullable<Decimal>,
        total_liabilities_and_equity -> Nullable<Decimal>,
        updated_at -> Datetime,
    }
}

diesel::table! {
    cash_flow_statements (id) {
        id -> BigInt,
        company_id -> BigInt,
        fiscal_year -> Integer,
        fiscal_period -> Varchar,
        period_start -> Nullable<Date>,
        period_end -> Date,
        form -> Varchar,
        filed_at -> Date,
        accession_number -> Varchar,
        currency -> Varchar,
        derived -> Bool,
        derived_items -> Varchar,
        net_income -> Nullable<Decimal>,
        depreciation_and_amortization -> Nullable<Decimal>,
        stock_based_compensation -> Nullable<Decimal>,
        operating_cash_flow -> Nullable<Decimal>,
        capital_expenditure -> Nullable<Decimal>,
        investing_cash_flow -> Nullable<Decimal>,
        financing_cash_flow -> Nullable<Decimal>,
        dividends_paid -> Nullable<Decimal>,
        share_repurchases -> Nullable<Decimal>,
        net_change_in_cash -> Nullable<Decimal>,
        free_cash_flow -> Nullable<Decimal>,
        updated_at -> Datetime,
    }
}

diesel::joinable!(income_statements -> companies (company_id));
diesel::joinable!(balance_sheets -> companies (company_id));
diesel::joinable!(cash_flow_statements -> companies (company_id));

diesel::allow_tables_to_appear_in_same_query!(
    companies,
    registration_requests,
    listings,
    income_statements,
    balance_sheets,
    cash_flow_statements,
);
