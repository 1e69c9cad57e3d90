//! The mail outbox on both databases: messages queue inside the transaction of their change,
//! and concurrent senders (several app instances) claim each message exactly once.

#[macro_use]
mod common;

use madoguchi::db::{Db, now_ms};
use madoguchi::mail;

db_test!(
    each_message_is_claimed_by_one_sender_only,
    |db: Db| async move {
        common::seed_municipality(&db, "122033", "市川市", "Ichikawa City").await;
        let mut tx = db.begin().await.expect("begin");
        for i in 0..5 {
            mail::enqueue(
                &mut tx,
                "122033",
                &format!("r{i}@example.jp"),
                "件名",
                "本文",
            )
            .await
            .expect("enqueue");
        }
        // A rolled-back change leaves no mail behind.
        drop(tx);
        assert!(
            mail::due(&db, now_ms() + 1, 50)
                .await
                .expect("due")
                .is_empty()
        );
        let mut tx = db.begin().await.expect("begin");
        for i in 0..5 {
            mail::enqueue(
                &mut tx,
                "122033",
                &format!("r{i}@example.jp"),
                "件名",
                "本文",
            )
            .await
            .expect("enqueue");
        }
        tx.commit().await.expect("commit");

        let now = now_ms() + 1;
        // Two senders read the same due list...
        let a = mail::due(&db, now, 50).await.expect("due a");
        let b = mail::due(&db, now, 50).await.expect("due b");
        assert_eq!(a.len(), 5);
        assert_eq!(b.len(), 5);
        // ...and race for each message: exactly one wins every time.
        let mut won = 0;
        for (ra, rb) in a.iter().zip(b.iter()) {
            let results =
                common::join_all(vec![mail::claim(&db, ra, now), mail::claim(&db, rb, now)]).await;
            let wins = results
                .into_iter()
                .map(|r| r.expect("claim"))
                .filter(|w| *w)
                .count();
            let (ca, cb) = (wins, 2 - wins);
            assert_eq!((ca, cb), (1, 1), "one claim must win and one must lose");
            won += ca;
        }
        assert_eq!(won, 5);
        // Claimed messages are not due again until the lease runs out.
        assert!(mail::due(&db, now, 50).await.expect("due").is_empty());
        assert_eq!(
            mail::due(&db, now + mail::CLAIM_LEASE_MS, 50)
                .await
                .expect("due")
                .len(),
            5
        );
    }
);
