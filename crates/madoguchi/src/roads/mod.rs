//! Road ledger (placeholder until the roads branch is merged).

pub mod map_config;
pub mod map_messages;
pub mod tiles;
