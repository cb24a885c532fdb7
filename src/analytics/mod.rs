//! Figures computed at read time from statements already loaded, so they cost no SQL: the
//! series of a period kind with its TTM windows (`series`), and the arithmetic of margins,
//! growth and ratios (`metrics`). Pure: no I/O.

pub mod metrics;
pub mod series;
