//! What a request reads of each statement kind, decided once from its parsed document before
//! anything resolves: when every selection of a kind asks for the same periods (the common
//! case: a page asks for "the last 5 annual" of each kind), the statement loaders push the
//! period kind and the window into SQL; any other shape (differing arguments, TTM, metrics,
//! which read other periods and kinds, an argument that cannot be resolved here) reads every
//! period of the kind, as before. Either way a kind costs one query per batch.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery};
use async_graphql::parser::types::{ExecutableDocument, Field, Selection, SelectionSet};
use async_graphql::{InputType, Name, ServerResult, Value, Variables};

use super::company::{DEFAULT_LAST, MAX_LAST};
use crate::cache::CachedKind;
use crate::domain::{
    BalanceSheetItems, CashFlowItems, IncomeStatementItems, PeriodKind, StatementFilter,
    StatementWindow,
};

/// The GraphQL fields of `Company` that return statements, one per kind.
const STATEMENT_FIELDS: [&str; 3] = ["incomeStatements", "balanceSheets", "cashFlowStatements"];

/// A statement kind as GraphQL loads it: cached per company, returned by one `Company` field.
pub trait StatementField: CachedKind {
    const FIELD: &'static str;
}

impl StatementField for IncomeStatementItems {
    const FIELD: &'static str = STATEMENT_FIELDS[0];
}

impl StatementField for BalanceSheetItems {
    const FIELD: &'static str = STATEMENT_FIELDS[1];
}

impl StatementField for CashFlowItems {
    const FIELD: &'static str = STATEMENT_FIELDS[2];
}

/// A field that reads other periods (the year and quarter before) and other kinds.
const METRICS_FIELD: &str = "metrics";

/// One request's windows, filled by `ReadPlanner` when the document is parsed; request data
/// only while the statement cache is off. A request without one (or not yet parsed) reads
/// everything.
#[derive(Default)]
pub struct RequestPlan(OnceLock<HashMap<&'static str, StatementWindow>>);

impl RequestPlan {
    /// The window the loader of statement kind `S` reads.
    pub fn window<S: StatementField>(&self) -> StatementWindow {
        self.0
            .get()
            .and_then(|windows| windows.get(S::FIELD).copied())
            .unwrap_or_default()
    }
}

/// The extension that plans each request from its document and variables.
pub struct ReadPlanner;

impl ExtensionFactory for ReadPlanner {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ReadPlanner)
    }
}

#[async_trait::async_trait]
impl Extension for ReadPlanner {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        if let Some(plan) = ctx.data_opt::<Arc<RequestPlan>>() {
            // Set once per request; a second parse of the same request keeps the first plan.
            let _ = plan.0.set(windows(&document, variables));
        }
        Ok(document)
    }
}

/// The window of each statement field for this document and these variables.
pub fn windows(
    document: &ExecutableDocument,
    variables: &Variables,
) -> HashMap<&'static str, StatementWindow> {
    let mut walk = Walk {
        document,
        variables,
        defaults: variable_defaults(document),
        expanded: HashSet::new(),
        selections: HashMap::new(),
        reads_metrics: false,
    };
    for (_, operation) in document.operations.iter() {
        walk.selection_set(&operation.node.selection_set.node);
    }
    STATEMENT_FIELDS
        .into_iter()
        .map(|field| {
            let window = match walk.selections.get(field) {
                Some(selections) if !walk.reads_metrics => one_window(selections),
                _ => StatementWindow::All,
            };
            (field, window)
        })
        .collect()
}

/// `Newest` when every selection asks for the same stored periods, else `All`.
fn one_window(selections: &[Option<(PeriodKind, StatementFilter)>]) -> StatementWindow {
    let Some(Some((period, filter))) = selections.first() else {
        return StatementWindow::All;
    };
    let all_alike = selections.iter().all(|s| *s == Some((*period, *filter)));
    if all_alike && *period != PeriodKind::Ttm {
        StatementWindow::Newest {
            period: *period,
            filter: *filter,
        }
    } else {
        StatementWindow::All
    }
}

/// What a variable with no value in the request stands for.
#[derive(Clone, PartialEq)]
enum Unset {
    /// Its declared default, or null when it has none.
    Means(Value),
    /// Two operations declare it with different defaults: unknown here.
    Ambiguous,
}

fn variable_defaults(document: &ExecutableDocument) -> HashMap<Name, Unset> {
    let mut defaults: HashMap<Name, Unset> = HashMap::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            let declared = Unset::Means(
                definition
                    .node
                    .default_value
                    .as_ref()
                    .map_or(Value::Null, |v| v.node.clone()),
            );
            defaults
                .entry(definition.node.name.node.clone())
                .and_modify(|known| {
                    if *known != declared {
                        *known = Unset::Ambiguous;
                    }
                })
                .or_insert(declared);
        }
    }
    defaults
}

struct Walk<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    defaults: HashMap<Name, Unset>,
    /// Fragments already walked: each once, however often it is spread, so a hostile
    /// document costs no more than its size (and a cycle, rejected later by validation,
    /// ends here too).
    expanded: HashSet<&'a Name>,
    /// Per statement field, what each selection of it asks for (`None`: not resolvable).
    selections: HashMap<&'static str, Vec<Option<(PeriodKind, StatementFilter)>>>,
    reads_metrics: bool,
}

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => self.field(&field.node),
                Selection::InlineFragment(fragment) => {
                    self.selection_set(&fragment.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if self.expanded.insert(name)
                        && let Some(fragment) = self.document.fragments.get(name)
                    {
                        self.selection_set(&fragment.node.selection_set.node);
                    }
                }
            }
        }
    }

    fn field(&mut self, field: &'a Field) {
        let name = field.name.node.as_str();
        if name == METRICS_FIELD {
            self.reads_metrics = true;
        }
        if let Some(statement_field) = STATEMENT_FIELDS.into_iter().find(|f| *f == name) {
            let asked = self.asked(field);
            self.selections
                .entry(statement_field)
                .or_default()
                .push(asked);
        }
        self.selection_set(&field.selection_set.node);
    }

    /// The periods a statement field asks for, with the resolvers' defaults.
    fn asked(&self, field: &Field) -> Option<(PeriodKind, StatementFilter)> {
        let period = match self.argument(field, "period")? {
            Value::Null => PeriodKind::Annual,
            value => PeriodKind::parse(Some(value)).ok()?,
        };
        let last = match self.argument(field, "last")? {
            Value::Null => DEFAULT_LAST,
            value => i32::parse(Some(value)).ok()?,
        };
        if !(1..=MAX_LAST).contains(&last) {
            return None;
        }
        let year = |name| Option::<i32>::parse(Some(self.argument(field, name)?)).ok();
        Some((
            period,
            StatementFilter {
                fiscal_year_from: year("fiscalYearFrom")?,
                fiscal_year_to: year("fiscalYearTo")?,
                last: last.unsigned_abs() as usize,
            },
        ))
    }

    /// An argument's value with variables substituted; `Null` when absent; `None` when a
    /// variable's value is unknown here.
    fn argument(&self, field: &Field, name: &str) -> Option<Value> {
        let Some(value) = field.get_argument(name) else {
            return Some(Value::Null);
        };
        value
            .node
            .clone()
            .into_const_with(|variable| match self.variables.get(&variable) {
                Some(value) => Ok(value.clone()),
                None => match self.defaults.get(&variable) {
                    Some(Unset::Means(value)) => Ok(value.clone()),
                    Some(Unset::Ambiguous) | None => Err(()),
                },
            })
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn plan(query: &str, variables: serde_json::Value) -> HashMap<&'static str, StatementWindow> {
        let document = parse_query(query).unwrap();
        windows(&document, &Variables::from_json(variables))
    }

    fn newest(period: PeriodKind, last: usize) -> StatementWindow {
        StatementWindow::Newest {
            period,
            filter: StatementFilter {
                fiscal_year_from: None,
                fiscal_year_to: None,
                last,
            },
        }
    }

    #[test]
    fn alike_selections_read_only_their_window() {
        let windows = plan(
            r#"{ a: company(symbol: "A") { incomeStatements { revenue } }
                 b: company(symbol: "B") { ...F }
                 c: companies(symbols: ["C"]) { balanceSheets(period: QUARTERLY, last: 8) { totalAssets } } }
               fragment F on Company { incomeStatements(period: ANNUAL, last: 5) { netIncome } }"#,
            json!({}),
        );
        assert_eq!(windows["incomeStatements"], newest(PeriodKind::Annual, 5));
        assert_eq!(windows["balanceSheets"], newest(PeriodKind::Quarterly, 8));
        assert_eq!(windows["cashFlowStatements"], StatementWindow::All);
    }

    #[test]
    fn variables_and_their_defaults_are_resolved() {
        let windows = plan(
            r#"query ($n: Int = 3, $from: Int, $p: Period!) {
                 company(symbol: "A") {
                   incomeStatements(period: $p, last: $n, fiscalYearFrom: $from) { revenue }
                 } }"#,
            json!({ "p": "QUARTERLY" }),
        );
        assert_eq!(
            windows["incomeStatements"],
            newest(PeriodKind::Quarterly, 3)
        );
    }

    #[test]
    fn any_other_shape_reads_every_period() {
        for query in [
            // Arguments differ.
            r#"{ company(symbol: "A") { a: incomeStatements(last: 5) { revenue } b: incomeStatements(last: 6) { revenue } } }"#,
            // TTM is built from quarters and the fiscal year.
            r#"{ company(symbol: "A") { incomeStatements(period: TTM, last: 1) { revenue } } }"#,
            // Metrics read the year before and the other kinds.
            r#"{ company(symbol: "A") { incomeStatements { revenue } balanceSheets { metrics { currentRatio } } } }"#,
            // An undeclared variable cannot be resolved here.
            r#"{ company(symbol: "A") { incomeStatements(last: $n) { revenue } } }"#,
            // Out of range: the resolver refuses it.
            r#"{ company(symbol: "A") { incomeStatements(last: 0) { revenue } } }"#,
        ] {
            assert_eq!(
                plan(query, json!({}))["incomeStatements"],
                StatementWindow::All,
                "{query}"
            );
        }
    }

    #[test]
    fn a_fragment_spread_many_times_is_walked_once() {
        let spreads = "...F ".repeat(1_000);
        let query = format!(
            "{{ company(symbol: \"A\") {{ {spreads} }} }} fragment F on Company {{ incomeStatements {{ revenue }} }}"
        );
        let document = parse_query(&query).unwrap();
        let windows = windows(&document, &Variables::default());
        assert_eq!(windows["incomeStatements"], newest(PeriodKind::Annual, 5));
    }
}
