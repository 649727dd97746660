//! Runnable programs live beside this crate as `[[example]]` targets. The
//! library holds what they share with Laminar's tests and benches: the
//! Nexmark bids, their generator and the pipelines of q5, q7, q11, q15, q16
//! and q17 ([`nexmark`]), all three Nexmark streams for the join queries
//! ([`nexmark_events`]) and the pipelines of the join queries q4, q6, q8
//! and q9 ([`nexmark_joins`]), the driver the Nexmark examples run them with
//! ([`driver`]), the plain references whole queries are checked against
//! ([`mod@reference`], and [`reference_joins`] for the join queries), and,
//! with the `service` feature, the HTTP service of the `http_service`
//! example (`service`).

pub mod driver;
pub mod kill9;
pub mod nexmark;
pub mod nexmark_events;
pub mod nexmark_joins;
pub mod reference;
pub mod reference_joins;
#[cfg(feature = "metrics")]
pub mod scrape;
#[cfg(feature = "service")]
pub mod service;
