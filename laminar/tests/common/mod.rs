//! Helpers shared by the integration tests. Each test binary uses its own
//! part of them, so what one binary leaves unused is not dead code.

#![allow(dead_code)]

pub mod nexmark;
