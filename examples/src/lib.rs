//! Runnable programs live beside this crate as `[[example]]` targets. The
//! library holds what they share with Laminar's tests and benches: the
//! Nexmark bids, their generator and the q5, q7 and q11 pipelines
//! ([`nexmark`]), the driver the Nexmark examples run them with
//! ([`driver`]), and, with the `service` feature, the HTTP service of the
//! `http_service` example (`service`).

pub mod driver;
pub mod nexmark;
#[cfg(feature = "metrics")]
pub mod scrape;
#[cfg(feature = "service")]
pub mod service;
