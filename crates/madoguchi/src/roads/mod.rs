//! Road ledger (placeholder until the roads branch is merged).

pub mod tiles;
