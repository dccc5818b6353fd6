//! The mutual-fund registrars' statements, CAMS and KFintech (one layout for both): the
//! detailed statement (transactions) and the summary (holdings only), and what the two share.
//!
//! * `detailed` — the "Consolidated Account Statement", folio by folio and scheme by scheme.
//! * `summary` — the "Consolidated Account Summary", one table row per scheme.
//! * `investor` — the investor block both print on page 1.
//! * `furniture` — what repeats on every page.
//! * `portfolio` — the portfolio both return.

pub mod detailed;
mod furniture;
mod investor;
mod portfolio;
pub mod summary;
