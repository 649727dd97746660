//! Criterion benchmarks live in `benches/`; this library holds logic that a
//! bench and an instruction-count binary share.

pub mod fusion;
pub mod nexmark;
#[cfg(feature = "peers")]
pub mod peers;
pub mod spsc;
