//! The payment state machine: seven states and the only moves between them. Pure: no I/O.
//!
//! ```text
//!   created ──▶ started ──▶ succeeded ──▶ refunded
//!      │           │
//!      │           ├──▶ failed      (card declined, provider error)
//!      │           ├──▶ cancelled   (the resident abandoned: 中断)
//!      │           └──▶ expired     (the provider's session ran out)
//!      └──▶ failed / cancelled / expired (the provider refused or dropped the session before
//!                                        the resident reached it)
//! ```
//!
//! failed, cancelled, expired and refunded are final. A move to the state a payment is already
//! in is a no-op (a repeated return or a replayed webhook), never an error and never an event.
//! Anything else not in [`TABLE`] is refused: a webhook saying "succeeded" for a refunded
//! payment changes nothing.

use crate::web::i18n::Lang;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PaymentState {
    /// Our row exists; the provider has not handed out a payment page yet.
    Created,
    /// The provider accepted the payment and gave us the page to send the resident to.
    Started,
    Succeeded,
    Failed,
    Cancelled,
    Expired,
    Refunded,
}

/// Every legal move (from, to). Nothing else can happen to a payment.
pub const TABLE: [(PaymentState, PaymentState); 10] = {
    use PaymentState::*;
    [
        (Created, Started),
        (Created, Failed),
        (Created, Cancelled),
        (Created, Expired),
        (Started, Succeeded),
        (Started, Failed),
        (Started, Cancelled),
        (Started, Expired),
        (Succeeded, Refunded),
        // A provider that reports success for a session we never saw started (the page was
        // reached and paid before our create call returned) still took the money.
        (Created, Succeeded),
    ]
};

impl PaymentState {
    pub const ALL: [PaymentState; 7] = [
        PaymentState::Created,
        PaymentState::Started,
        PaymentState::Succeeded,
        PaymentState::Failed,
        PaymentState::Cancelled,
        PaymentState::Expired,
        PaymentState::Refunded,
    ];

    /// The stable code stored in the database and used by the provider protocol.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Created => "created",
            PaymentState::Started => "started",
            PaymentState::Succeeded => "succeeded",
            PaymentState::Failed => "failed",
            PaymentState::Cancelled => "cancelled",
            PaymentState::Expired => "expired",
            PaymentState::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentState> {
        PaymentState::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// No move leaves this state.
    pub fn is_final(self) -> bool {
        !TABLE.iter().any(|(from, _)| *from == self)
    }

    /// Still waiting for the resident or the provider.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentState::Created | PaymentState::Started)
    }

    pub fn label(self, l: Lang) -> &'static str {
        match (self, l) {
            (PaymentState::Created, Lang::Ja) => "手続き中",
            (PaymentState::Created, Lang::En) => "Being set up",
            (PaymentState::Started, Lang::Ja) => "確認中",
            (PaymentState::Started, Lang::En) => "Being checked",
            (PaymentState::Succeeded, Lang::Ja) => "支払済み",
            (PaymentState::Succeeded, Lang::En) => "Paid",
            (PaymentState::Failed, Lang::Ja) => "失敗（カードが使えませんでした）",
            (PaymentState::Failed, Lang::En) => "Failed (the card was declined)",
            (PaymentState::Cancelled, Lang::Ja) => "中断",
            (PaymentState::Cancelled, Lang::En) => "Cancelled",
            (PaymentState::Expired, Lang::Ja) => "期限切れ",
            (PaymentState::Expired, Lang::En) => "Expired",
            (PaymentState::Refunded, Lang::Ja) => "返金済み",
            (PaymentState::Refunded, Lang::En) => "Refunded",
        }
    }
}

/// Whether `from → to` is in the table.
pub fn allowed(from: PaymentState, to: PaymentState) -> bool {
    TABLE.contains(&(from, to))
}

/// What applying a reported state to a stored one does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Already there: nothing to store (idempotent).
    Same,
    /// The moves to store, in order (more than one when the provider is ahead of us, e.g. we
    /// saw `started` and the provider already says `refunded`: started → succeeded → refunded).
    Moves(Vec<(PaymentState, PaymentState)>),
    /// Not reachable from here: refused, nothing changes.
    Refused,
}

/// The shortest legal path from `from` to `to` (breadth-first over [`TABLE`]).
pub fn step(from: PaymentState, to: PaymentState) -> Step {
    if from == to {
        return Step::Same;
    }
    let mut queue = std::collections::VecDeque::from([(from, Vec::new())]);
    let mut seen = vec![from];
    while let Some((at, path)) = queue.pop_front() {
        for (a, b) in TABLE {
            if a != at || seen.contains(&b) {
                continue;
            }
            let mut p: Vec<(PaymentState, PaymentState)> = path.clone();
            p.push((a, b));
            if b == to {
                return Step::Moves(p);
            }
            seen.push(b);
            queue.push_back((b, p));
        }
    }
    Step::Refused
}

#[cfg(test)]
mod tests {
    use super::*;
    use PaymentState::*;

    #[test]
    fn codes_round_trip() {
        for s in PaymentState::ALL {
            assert_eq!(PaymentState::parse(s.as_str()), Some(s));
        }
        assert_eq!(PaymentState::parse("paid"), None);
    }

    #[test]
    fn finals_are_final() {
        for s in [Failed, Cancelled, Expired, Refunded] {
            assert!(s.is_final(), "{s:?}");
            for t in PaymentState::ALL {
                if t != s {
                    assert_eq!(step(s, t), Step::Refused, "{s:?} -> {t:?}");
                }
            }
        }
        assert!(!Succeeded.is_final());
    }

    #[test]
    fn provider_ahead_of_us_walks_the_table() {
        assert_eq!(
            step(Started, Refunded),
            Step::Moves(vec![(Started, Succeeded), (Succeeded, Refunded)])
        );
        assert_eq!(step(Started, Started), Step::Same);
        assert_eq!(step(Succeeded, Started), Step::Refused);
        assert_eq!(step(Succeeded, Failed), Step::Refused);
        assert_eq!(
            step(Created, Succeeded),
            Step::Moves(vec![(Created, Succeeded)])
        );
    }
}
