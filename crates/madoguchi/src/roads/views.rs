//! The plan 1-7 KPI, "online ledger views": every public map page or tile set view ('map') and
//! every OGC API features request ('api') adds one to a per-municipality, per-month (Japan time)
//! counter in `road_view_counts`. Counting happens in memory and is flushed in batches (every
//! few seconds, and before the KPI is read), so a view costs no database write of its own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::store;
use crate::db::Db;

/// How often pending counts are written.
const FLUSH_EVERY: Duration = Duration::from_secs(5);

type Key = (String, String, &'static str);

#[derive(Default)]
struct Inner {
    pending: Mutex<HashMap<Key, i64>>,
    started: Mutex<bool>,
}

/// The batched view counter of one running app (an axum `Extension` on the roads routes).
#[derive(Clone, Default)]
pub struct ViewCounter(Arc<Inner>);

/// "YYYY-MM" of a Unix-ms instant in Japan time (UTC+9, no DST).
pub fn month_jst(at_ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+9));
    format!("{:04}-{:02}", t.year(), u8::from(t.month()))
}

impl ViewCounter {
    pub fn new() -> ViewCounter {
        ViewCounter::default()
    }

    /// Counts one view now ('map' or 'api'); starts the flusher on first use.
    pub fn count(&self, db: &Db, municipality: &str, channel: &'static str) {
        let month = month_jst(crate::db::now_ms());
        if let Ok(mut p) = self.0.pending.lock() {
            *p.entry((municipality.to_owned(), month, channel))
                .or_default() += 1;
        }
        let start = match self.0.started.lock() {
            Ok(mut s) if !*s => {
                *s = true;
                true
            }
            _ => false,
        };
        if start {
            let weak: Weak<Inner> = Arc::downgrade(&self.0);
            let db = db.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(FLUSH_EVERY).await;
                    let Some(inner) = weak.upgrade() else { break };
                    if let Err(e) = ViewCounter(inner).flush(&db).await {
                        tracing::warn!(error = %e, "flushing road view counts");
                    }
                }
            });
        }
    }

    /// Writes the pending counts (kept for the next try when the database refuses).
    pub async fn flush(&self, db: &Db) -> Result<(), sqlx::Error> {
        let taken: Vec<(Key, i64)> = match self.0.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return Ok(()),
        };
        let mut failed: Option<sqlx::Error> = None;
        for ((m, month, channel), n) in taken {
            if failed.is_none() {
                match store::add_views(db, &m, &month, channel, n).await {
                    Ok(()) => continue,
                    Err(e) => failed = Some(e),
                }
            }
            if let Ok(mut p) = self.0.pending.lock() {
                *p.entry((m, month, channel)).or_default() += n;
            }
        }
        failed.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_is_japan_time() {
        // 2026-11-30T15:00:00Z is 2026-12-01 00:00 JST.
        assert_eq!(month_jst(1_796_050_800_000), "2026-12");
        assert_eq!(month_jst(1_796_050_799_999), "2026-11");
    }
}
