//! Fiscal calendars: which fiscal year and quarter a period belongs to, from the company's
//! fiscal-year end (month and day of its latest annual period) rather than from the filing's
//! `fy`/`fp`, which describe the filing, not the period.

use chrono::{Datelike, Days, NaiveDate};

/// 52/53-week years end on a weekday near a fixed date: up to a week either side of it.
const YEAR_END_DRIFT_DAYS: u64 = 7;
const DAYS_PER_QUARTER: f64 = 365.25 / 4.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiscalCalendar {
    month: u32,
    day: u32,
}

/// Kinds of duration, by length in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Quarter,
    HalfYear,
    NineMonths,
    Year,
}

impl Span {
    pub fn of(start: NaiveDate, end: NaiveDate) -> Option<Self> {
        match (end - start).num_days() {
            80..=100 => Some(Self::Quarter),
            170..=195 => Some(Self::HalfYear),
            260..=290 => Some(Self::NineMonths),
            350..=380 => Some(Self::Year),
            _ => None,
        }
    }
}

impl FiscalCalendar {
    /// The calendar of a company whose (latest) fiscal year ended on `year_end`.
    pub fn ending_like(year_end: NaiveDate) -> Self {
        Self {
            month: year_end.month(),
            day: year_end.day(),
        }
    }

    /// `MMDD`, as SEC writes a fiscal-year end.
    pub fn mmdd(&self) -> String {
        format!("{:02}{:02}", self.month, self.day)
    }

    /// The fiscal year a period ending on `end` belongs to, labelled as companies label it:
    /// by the calendar year the fiscal year ends in, except for years ending in the first
    /// week of January, which are labelled by the year they mostly cover.
    pub fn fiscal_year(&self, end: NaiveDate) -> i32 {
        let year_end_year = self.year_end_year(end);
        if self.month == 1 && self.day <= 7 {
            year_end_year - 1
        } else {
            year_end_year
        }
    }

    /// Fiscal year and quarter (1–4) of a period ending on `end`.
    pub fn quarter(&self, end: NaiveDate) -> (i32, u8) {
        let previous_year_end = self.nominal_end(self.year_end_year(end) - 1);
        let quarters = (end - previous_year_end).num_days() as f64 / DAYS_PER_QUARTER;
        (
            self.fiscal_year(end),
            quarters.round().clamp(1.0, 4.0) as u8,
        )
    }

    /// Calendar year of the fiscal-year end that closes the fiscal year containing `date`.
    fn year_end_year(&self, date: NaiveDate) -> i32 {
        (date.year() - 1..=date.year() + 1)
            .find(|&year| {
                self.nominal_end(year)
                    .checked_add_days(Days::new(YEAR_END_DRIFT_DAYS))
                    .is_some_and(|latest| date <= latest)
            })
            .unwrap_or(date.year() + 1)
    }

    fn nominal_end(&self, year: i32) -> NaiveDate {
        (0..4)
            .find_map(|back| NaiveDate::from_ymd_opt(year, self.month, self.day.checked_sub(back)?))
            .unwrap_or(NaiveDate::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("date literal")
    }

    #[test]
    fn apple_late_september_years() {
        let apple = FiscalCalendar::ending_like(date("2025-09-27"));
        assert_eq!(apple.mmdd(), "0927");
        assert_eq!(apple.fiscal_year(date("2023-09-30")), 2023);
        assert_eq!(apple.fiscal_year(date("2024-09-28")), 2024);
        assert_eq!(apple.quarter(date("2023-12-30")), (2024, 1));
        assert_eq!(apple.quarter(date("2024-03-30")), (2024, 2));
        assert_eq!(apple.quarter(date("2024-06-29")), (2024, 3));
        assert_eq!(apple.quarter(date("2024-09-28")), (2024, 4));
        assert_eq!(apple.quarter(date("2025-12-27")), (2026, 1));
    }

    #[test]
    fn january_year_ends_are_labelled_by_the_year_they_end_in() {
        let snowflake = FiscalCalendar::ending_like(date("2025-01-31"));
        assert_eq!(snowflake.fiscal_year(date("2024-01-31")), 2024);
        assert_eq!(snowflake.quarter(date("2024-04-30")), (2025, 1));
        assert_eq!(snowflake.quarter(date("2024-10-31")), (2025, 3));

        // Marvell: the Saturday nearest 31 January drifts into February.
        let marvell = FiscalCalendar::ending_like(date("2025-02-01"));
        assert_eq!(marvell.fiscal_year(date("2023-01-28")), 2023);
        assert_eq!(marvell.fiscal_year(date("2024-02-03")), 2024);
        assert_eq!(marvell.quarter(date("2024-05-04")), (2025, 1));
    }

    #[test]
    fn years_ending_in_the_first_days_of_january_belong_to_the_prior_year() {
        let retailer = FiscalCalendar::ending_like(date("2025-01-03"));
        assert_eq!(retailer.fiscal_year(date("2025-01-03")), 2024);
        assert_eq!(retailer.fiscal_year(date("2023-12-30")), 2023);
        assert_eq!(retailer.quarter(date("2024-03-30")), (2024, 1));
    }

    #[test]
    fn spans_by_length() {
        assert_eq!(
            Span::of(date("2022-09-25"), date("2023-09-30")),
            Some(Span::Year)
        );
        assert_eq!(
            Span::of(date("2023-10-01"), date("2023-12-30")),
            Some(Span::Quarter)
        );
        assert_eq!(
            Span::of(date("2023-10-01"), date("2024-03-30")),
            Some(Span::HalfYear)
        );
        assert_eq!(
            Span::of(date("2023-10-01"), date("2024-06-29")),
            Some(Span::NineMonths)
        );
        assert_eq!(Span::of(date("2023-10-01"), date("2023-11-30")), None);
    }
}
