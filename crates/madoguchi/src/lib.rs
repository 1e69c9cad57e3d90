//! Madoguchi (窓口): a 24-hour digital city hall. See docs/architecture.md.
#![forbid(unsafe_code)]

pub mod audit;
pub mod config;
pub mod db;
