//! Append-only, hash-chained audit log (every state change, ARCHITECTURE.md "Trust").
//!
//! Each event is written in the same transaction as the change it records. Events are chained
//! per municipality: `hash = SHA-256(prev_hash, municipality, seq, at, actor, action, target,
//! detail)`. The municipality row holds the sequence counter and the head hash. A transaction's
//! events are chained when it commits ([`record`], [`write_pending`]): bumping the counter with
//! `UPDATE … RETURNING` both numbers them and locks the chain head (row lock on PostgreSQL, the
//! single writer on SQLite), so concurrent writers cannot fork the chain.
//! `madoguchi audit verify` recomputes every hash and names the first event that does not fit.

use sea_query::{Expr, ExprTrait, Order, Query};
use sha2::{Digest, Sha256};

use crate::db::schema::{AuditEvents, Municipalities};
use crate::db::{Db, Tx, now_ms};

/// Who caused a change. Rendered as `kind:id` in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    ApiToken(i64),
    Cli,
    System,
    Anonymous,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Actor::User(id) => write!(f, "user:{id}"),
            Actor::ApiToken(id) => write!(f, "token:{id}"),
            Actor::Cli => f.write_str("cli"),
            Actor::System => f.write_str("system"),
            Actor::Anonymous => f.write_str("anonymous"),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Head {
    audit_seq: i64,
    audit_head: String,
}

/// An event recorded in a transaction, chained and written when the transaction commits.
#[derive(Debug)]
pub struct PendingEvent {
    municipality: String,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
}

/// Rows per `INSERT` when a transaction's events are written (9 values a row stays well under
/// SQLite's 32,766 and PostgreSQL's 65,535 bind parameters).
const INSERT_CHUNK: usize = 500;

/// Records one event for the municipality's chain in `tx`.
///
/// The event is numbered, chained and written when `tx` commits ([`Tx::commit`] calls
/// [`write_pending`]), together with the other events of the transaction: one `UPDATE … RETURNING`
/// of the chain head, one multi-row `INSERT` and one `UPDATE` of the head per municipality,
/// however many events the transaction holds. So a group commit of 100 submissions costs 3
/// statements of audit instead of 300, and on PostgreSQL the head row is locked only for the
/// last statements before the commit instead of from the first event on. The chain's order is
/// the order of commits, and within a transaction the order of `record` calls; `at` is the time
/// of the call. A transaction rolled back (or to a savepoint taken before the call) writes none of it.
pub async fn record(
    tx: &mut Tx,
    municipality: &str,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: serde_json::Value,
) -> Result<(), sqlx::Error> {
    tx.pending_audit().push(PendingEvent {
        municipality: municipality.to_owned(),
        at: now_ms(),
        actor: actor.to_string(),
        action: action.to_owned(),
        target: target.to_owned(),
        detail: detail.to_string(),
    });
    Ok(())
}

/// Numbers, chains and writes the events `tx` recorded; called by [`Tx::commit`] just before
/// the commit. Municipalities are taken in id order, so two transactions that both touch two
/// chains lock their heads in the same order (no deadlock on PostgreSQL).
pub(crate) async fn write_pending(tx: &mut Tx) -> Result<(), sqlx::Error> {
    let events = std::mem::take(tx.pending_audit());
    if events.is_empty() {
        return Ok(());
    }
    let mut by_town: std::collections::BTreeMap<&str, Vec<&PendingEvent>> = Default::default();
    for e in &events {
        by_town.entry(e.municipality.as_str()).or_default().push(e);
    }
    for (municipality, mine) in by_town {
        let n = mine.len() as i64;
        // Reserves seq numbers n..: the row lock (PostgreSQL) or the single writer (SQLite)
        // keeps every other writer of this chain out until the commit.
        let bump = Query::update()
            .table(Municipalities::Table)
            .value(
                Municipalities::AuditSeq,
                Expr::col(Municipalities::AuditSeq).add(n),
            )
            .and_where(Expr::col(Municipalities::Id).eq(municipality))
            .returning(
                Query::returning().columns([Municipalities::AuditSeq, Municipalities::AuditHead]),
            )
            .to_owned();
        let head: Head = tx.fetch_one(&bump).await?;
        let mut seq = head.audit_seq - n;
        let mut prev = head.audit_head;
        for chunk in mine.chunks(INSERT_CHUNK) {
            let mut insert = Query::insert()
                .into_table(AuditEvents::Table)
                .columns([
                    AuditEvents::MunicipalityId,
                    AuditEvents::Seq,
                    AuditEvents::At,
                    AuditEvents::Actor,
                    AuditEvents::Action,
                    AuditEvents::Target,
                    AuditEvents::Detail,
                    AuditEvents::PrevHash,
                    AuditEvents::Hash,
                ])
                .to_owned();
            for e in chunk {
                seq += 1;
                let hash = event_hash(
                    &prev,
                    municipality,
                    seq,
                    e.at,
                    &e.actor,
                    &e.action,
                    &e.target,
                    &e.detail,
                );
                insert.values_panic([
                    municipality.into(),
                    seq.into(),
                    e.at.into(),
                    e.actor.as_str().into(),
                    e.action.as_str().into(),
                    e.target.as_str().into(),
                    e.detail.as_str().into(),
                    prev.as_str().into(),
                    hash.as_str().into(),
                ]);
                prev = hash;
            }
            tx.execute(&insert).await?;
        }
        let set_head = Query::update()
            .table(Municipalities::Table)
            .value(Municipalities::AuditHead, prev)
            .and_where(Expr::col(Municipalities::Id).eq(municipality))
            .to_owned();
        tx.execute(&set_head).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub fn event_hash(
    prev: &str,
    municipality: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
) -> String {
    // A JSON array is an unambiguous encoding: no field boundary can be forged by content.
    let canonical = serde_json::json!([prev, municipality, seq, at, actor, action, target, detail]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

#[derive(sqlx::FromRow, Debug, Clone, serde::Serialize)]
pub struct EventRow {
    pub id: i64,
    pub municipality_id: String,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Outcome of checking every chain.
#[derive(Debug, Default)]
pub struct VerifyReport {
    pub events: u64,
    pub municipalities: u64,
    /// The first problem found, if any: (municipality, seq or id, what is wrong).
    pub first_bad: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MunicipalityHead {
    id: String,
    audit_seq: i64,
    audit_head: String,
}

const PAGE: u64 = 1000;

/// Recomputes every chain from the first event. Reads in pages so a long history stays cheap.
pub async fn verify(db: &Db) -> Result<VerifyReport, sqlx::Error> {
    let mut report = VerifyReport::default();
    let heads: Vec<MunicipalityHead> = db
        .fetch_all(
            &Query::select()
                .columns([
                    Municipalities::Id,
                    Municipalities::AuditSeq,
                    Municipalities::AuditHead,
                ])
                .from(Municipalities::Table)
                .order_by(Municipalities::Id, Order::Asc)
                .to_owned(),
        )
        .await?;
    for mut m in heads {
        report.municipalities += 1;
        let mut prev = String::new();
        let mut expected_seq = 1_i64;
        // A live server goes on writing while this reads: events newer than the head read at
        // the start are not a rewrite. Then the head is read again and the new events checked,
        // as long as the head moves on (a head that stays behind its events is a rewrite).
        let mut rereads = 0;
        loop {
            loop {
                let page: Vec<EventRow> = db
                    .fetch_all(
                        &Query::select()
                            .columns(event_columns())
                            .from(AuditEvents::Table)
                            .and_where(Expr::col(AuditEvents::MunicipalityId).eq(m.id.as_str()))
                            .and_where(Expr::col(AuditEvents::Seq).gte(expected_seq))
                            .order_by(AuditEvents::Seq, Order::Asc)
                            .limit(PAGE)
                            .to_owned(),
                    )
                    .await?;
                let done = (page.len() as u64) < PAGE;
                for e in page {
                    report.events += 1;
                    if let Some(p) = event_problem(&e, expected_seq, &prev) {
                        report.first_bad = Some(format!("municipality {}: {p}", m.id));
                        return Ok(report);
                    }
                    prev = e.hash;
                    expected_seq += 1;
                }
                if done {
                    break;
                }
            }
            let last = expected_seq - 1;
            if last > m.audit_seq && rereads < 10_000 {
                rereads += 1;
                if let Some(now) = head_of(db, &m.id).await?
                    && now.audit_seq > m.audit_seq
                {
                    m = now;
                    continue;
                }
            }
            let problem = if last < m.audit_seq {
                Some(format!(
                    "the chain ends at event #{last} but the head records #{}; events after #{last} were deleted",
                    m.audit_seq
                ))
            } else if last > m.audit_seq || prev != m.audit_head {
                Some(format!(
                    "the events do not match the recorded head (event #{}): the chain was rewritten",
                    m.audit_seq
                ))
            } else {
                None
            };
            if let Some(p) = problem {
                report.first_bad = Some(format!("municipality {}: {p}", m.id));
                return Ok(report);
            }
            break;
        }
    }
    Ok(report)
}

/// What is wrong with event `e` where event #`expected_seq` linking to `prev` should stand.
fn event_problem(e: &EventRow, expected_seq: i64, prev: &str) -> Option<String> {
    if e.seq != expected_seq {
        Some(format!(
            "event #{expected_seq} is missing (next found is #{})",
            e.seq
        ))
    } else if e.prev_hash != prev {
        Some(format!(
            "event #{} (id {}) does not link to the event before it",
            e.seq, e.id
        ))
    } else if e.hash
        != event_hash(
            &e.prev_hash,
            &e.municipality_id,
            e.seq,
            e.at,
            &e.actor,
            &e.action,
            &e.target,
            &e.detail,
        )
    {
        Some(format!(
            "event #{} (id {}) was altered: its hash does not match its content",
            e.seq, e.id
        ))
    } else {
        None
    }
}

async fn head_of(db: &Db, municipality: &str) -> Result<Option<MunicipalityHead>, sqlx::Error> {
    db.fetch_optional(
        &Query::select()
            .columns([
                Municipalities::Id,
                Municipalities::AuditSeq,
                Municipalities::AuditHead,
            ])
            .from(Municipalities::Table)
            .and_where(Expr::col(Municipalities::Id).eq(municipality))
            .to_owned(),
    )
    .await
}

pub fn event_columns() -> [AuditEvents; 10] {
    [
        AuditEvents::Id,
        AuditEvents::MunicipalityId,
        AuditEvents::Seq,
        AuditEvents::At,
        AuditEvents::Actor,
        AuditEvents::Action,
        AuditEvents::Target,
        AuditEvents::Detail,
        AuditEvents::PrevHash,
        AuditEvents::Hash,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_every_field() {
        let base = event_hash("p", "122033", 1, 10, "cli", "a", "t", "{}");
        let variants = [
            event_hash("q", "122033", 1, 10, "cli", "a", "t", "{}"),
            event_hash("p", "122034", 1, 10, "cli", "a", "t", "{}"),
            event_hash("p", "122033", 2, 10, "cli", "a", "t", "{}"),
            event_hash("p", "122033", 1, 11, "cli", "a", "t", "{}"),
            event_hash("p", "122033", 1, 10, "sys", "a", "t", "{}"),
            event_hash("p", "122033", 1, 10, "cli", "b", "t", "{}"),
            event_hash("p", "122033", 1, 10, "cli", "a", "u", "{}"),
            event_hash("p", "122033", 1, 10, "cli", "a", "t", "[]"),
            // Moving text across a field boundary must change the hash.
            event_hash("p", "122033", 1, 10, "cli", "at", "", "{}"),
        ];
        for v in variants {
            assert_ne!(base, v);
        }
        assert_eq!(base.len(), 64);
    }
}
