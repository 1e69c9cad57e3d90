//! Madoguchi (窓口): a 24-hour digital city hall. See docs/architecture.md.
#![forbid(unsafe_code)]

pub mod admin;
pub mod api;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod config;
pub mod db;
pub mod debit;
pub mod demo;
pub mod documents;
pub mod identity;
pub mod mail;
pub mod metrics;
pub mod navi;
pub mod payments;
pub mod postal;
pub mod procedures;
pub mod roads;
pub mod server;
pub mod web;
