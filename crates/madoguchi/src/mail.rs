//! E-mail through a transactional outbox: a message is written in the same transaction as the
//! change that causes it (so a crash cannot lose it or send it for a change that rolled back),
//! and a background sender delivers pending rows over SMTP with retries. Without an SMTP host
//! the rows stay in the outbox; the demo shows them on its sandbox mailbox page.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sea_query::{Expr, ExprTrait, InsertStatement, Order, Query};
use tokio::sync::Notify;

use crate::config::SmtpConfig;
use crate::db::schema::OutboxEmails;
use crate::db::{Db, Tx, now_ms};

#[derive(sqlx::FromRow, Debug, Clone)]
pub struct OutboxRow {
    pub id: i64,
    pub municipality_id: String,
    pub to_addr: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub sent_at: Option<i64>,
}

/// `INSERT INTO outbox_emails (columns)`: what [`outbox_values`] fills.
fn outbox_insert() -> InsertStatement {
    Query::insert()
        .into_table(OutboxEmails::Table)
        .columns([
            OutboxEmails::MunicipalityId,
            OutboxEmails::ToAddr,
            OutboxEmails::Subject,
            OutboxEmails::Body,
            OutboxEmails::CreatedAt,
            OutboxEmails::NextAttemptAt,
        ])
        .to_owned()
}

fn outbox_values(municipality: &str, to: &str, subject: &str, body: &str) -> Vec<Expr> {
    let now = now_ms();
    vec![
        municipality.into(),
        to.into(),
        subject.into(),
        body.into(),
        now.into(),
        now.into(),
    ]
}

pub async fn enqueue(
    tx: &mut Tx,
    municipality: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    tx.execute(outbox_insert().values_panic(outbox_values(municipality, to, subject, body)))
        .await
        .map(|_| ())
}

/// [`enqueue`], written when `tx` commits together with the other mails queued in the (group)
/// transaction: one statement for a batch instead of one per job.
pub fn enqueue_at_commit(tx: &mut Tx, municipality: &str, to: &str, subject: &str, body: &str) {
    tx.insert_at_commit(
        "outbox_emails",
        outbox_insert,
        outbox_values(municipality, to, subject, body),
    );
}

fn columns() -> [OutboxEmails; 9] {
    [
        OutboxEmails::Id,
        OutboxEmails::MunicipalityId,
        OutboxEmails::ToAddr,
        OutboxEmails::Subject,
        OutboxEmails::Body,
        OutboxEmails::CreatedAt,
        OutboxEmails::Attempts,
        OutboxEmails::NextAttemptAt,
        OutboxEmails::SentAt,
    ]
}

/// How long a sender owns a claimed message before another may retry it (a sender that died
/// mid-send gives the message back after this).
pub const CLAIM_LEASE_MS: i64 = 120_000;

/// Claims a pending message for this sender. Several app instances may scan the same outbox:
/// only the one whose conditional update changes the row sends it, so no mail goes out twice.
pub async fn claim(db: &Db, row: &OutboxRow, now: i64) -> Result<bool, sqlx::Error> {
    let n = db
        .execute(
            &Query::update()
                .table(OutboxEmails::Table)
                .value(OutboxEmails::NextAttemptAt, now + CLAIM_LEASE_MS)
                .and_where(Expr::col(OutboxEmails::Id).eq(row.id))
                .and_where(Expr::col(OutboxEmails::SentAt).is_null())
                .and_where(Expr::col(OutboxEmails::NextAttemptAt).eq(row.next_attempt_at))
                .to_owned(),
        )
        .await?;
    Ok(n == 1)
}

/// Messages due for sending at `now`, oldest first.
pub async fn due(db: &Db, now: i64, limit: u64) -> Result<Vec<OutboxRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns(columns())
            .from(OutboxEmails::Table)
            .and_where(Expr::col(OutboxEmails::SentAt).is_null())
            .and_where(Expr::col(OutboxEmails::NextAttemptAt).lte(now))
            .order_by(OutboxEmails::Id, Order::Asc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// The newest messages of a municipality (sandbox mailbox page).
pub async fn recent(
    db: &Db,
    municipality: &str,
    limit: u64,
) -> Result<Vec<OutboxRow>, sqlx::Error> {
    db.fetch_all(
        &Query::select()
            .columns(columns())
            .from(OutboxEmails::Table)
            .and_where(Expr::col(OutboxEmails::MunicipalityId).eq(municipality))
            .order_by(OutboxEmails::Id, Order::Desc)
            .limit(limit)
            .to_owned(),
    )
    .await
}

/// Delivers pending mail until `shutdown` fires. Woken by `notify` right after an enqueue, and
/// polls every few seconds for retries. Backoff doubles per attempt, up to an hour.
pub async fn run_sender(
    db: Db,
    smtp: SmtpConfig,
    notify: Arc<Notify>,
    shutdown: tokio_util_shutdown::Signal,
) {
    if smtp.host.is_empty() {
        tracing::info!("smtp.host is empty: mail stays in the outbox");
        return;
    }
    let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .timeout(Some(Duration::from_secs(20)))
        .build();
    let from: Mailbox = match smtp.from.parse() {
        Ok(f) => f,
        Err(e) => {
            tracing::error!(error = %e, "smtp.from is not a valid address; mail is not sent");
            return;
        }
    };
    loop {
        if let Err(e) = send_pending(&db, &transport, &from).await {
            tracing::warn!(error = %e, "outbox pass failed");
        }
        tokio::select! {
            _ = notify.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.wait() => return,
        }
    }
}

async fn send_pending(
    db: &Db,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
) -> anyhow::Result<()> {
    let now = now_ms();
    let rows = due(db, now, 50).await?;
    for row in rows {
        if !claim(db, &row, now).await? {
            continue;
        }
        let result = async {
            let msg = Message::builder()
                .from(from.clone())
                .to(row.to_addr.parse()?)
                .subject(row.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(row.body.clone())?;
            transport.send(msg).await?;
            anyhow::Ok(())
        }
        .await;
        let mut stmt = Query::update().table(OutboxEmails::Table).to_owned();
        stmt.value(OutboxEmails::Attempts, row.attempts + 1)
            .and_where(Expr::col(OutboxEmails::Id).eq(row.id));
        match result {
            Ok(()) => {
                stmt.value(OutboxEmails::SentAt, now_ms());
                tracing::info!(id = row.id, "mail sent");
            }
            Err(e) => {
                let backoff = Ord::min(30_000_i64 << Ord::min(row.attempts, 7), 3_600_000);
                stmt.value(OutboxEmails::LastError, e.to_string())
                    .value(OutboxEmails::NextAttemptAt, now_ms() + backoff);
                tracing::warn!(id = row.id, error = %e, "mail not sent; will retry");
            }
        }
        db.execute(&stmt).await?;
    }
    Ok(())
}

/// A tiny shutdown signal shared by background tasks (a watch channel under the hood).
pub mod tokio_util_shutdown {
    use tokio::sync::watch;

    #[derive(Clone)]
    pub struct Signal(watch::Receiver<bool>);

    pub struct Trigger(watch::Sender<bool>);

    pub fn channel() -> (Trigger, Signal) {
        let (tx, rx) = watch::channel(false);
        (Trigger(tx), Signal(rx))
    }

    impl Trigger {
        pub fn fire(&self) {
            let _ = self.0.send(true);
        }
    }

    impl Signal {
        pub async fn wait(&self) {
            let mut rx = self.0.clone();
            while !*rx.borrow() {
                if rx.changed().await.is_err() {
                    return;
                }
            }
        }
    }
}
