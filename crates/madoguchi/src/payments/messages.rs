//! Messages of fees and payments (ja, en), one of the tables in `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    // resident: the box on the application page
    ("pay.title", "手数料のお支払い", "Paying the fee"),
    ("pay.amount", "手数料", "Fee"),
    ("pay.status", "お支払いの状況", "Payment"),
    ("pay.paid", "支払済み", "Paid"),
    ("pay.unpaid", "未払い", "Not paid yet"),
    ("pay.latest", "最後のお支払いの結果", "Last payment attempt"),
    (
        "pay.button",
        "手数料を支払う（クレジットカード）",
        "Pay the fee (credit card)",
    ),
    (
        "pay.button_help",
        "決済サービスのページに移ります。支払いが終わると、この画面に戻ります。",
        "You will go to the payment service's page and come back here when you have paid.",
    ),
    (
        "pay.checking_box",
        "お支払いを確認しています。しばらくしてから、この画面をもう一度開いてください。",
        "We are checking your payment. Please open this page again in a little while.",
    ),
    (
        "pay.due_review",
        "お支払いが確認できてから審査を始めます。",
        "We start the review once the fee is paid.",
    ),
    (
        "pay.due_completion",
        "お支払いが確認できてから手続きを完了します。",
        "We complete the procedure once the fee is paid.",
    ),
    (
        "pay.due_none",
        "オンラインで支払うこともできます。",
        "You can pay online.",
    ),
    // resident: after the provider's page
    (
        "pay.not_started",
        "お支払いを始められませんでした",
        "The payment could not be started",
    ),
    (
        "pay.done_title",
        "お支払いが完了しました",
        "Payment complete",
    ),
    (
        "pay.done_text",
        "手数料のお支払いを確認しました。ありがとうございました。",
        "We have received your payment. Thank you.",
    ),
    (
        "pay.checking_title",
        "お支払いを確認中です",
        "Checking your payment",
    ),
    (
        "pay.checking_text",
        "決済サービスからの連絡を待っています。数分たってから「もう一度確認する」を押してください。二重に支払う必要はありません。",
        "We are waiting for the payment service. Press “Check again” in a few minutes. You do not need to pay again.",
    ),
    (
        "pay.failed_title",
        "カードでのお支払いができませんでした",
        "The card payment did not go through",
    ),
    (
        "pay.failed_text",
        "カード会社がお支払いを受け付けませんでした。お金は引き落とされていません。別のカードで、もう一度お試しください。",
        "The card company declined the payment. No money was taken. Please try again with another card.",
    ),
    (
        "pay.cancelled_title",
        "お支払いを中断しました",
        "Payment cancelled",
    ),
    (
        "pay.cancelled_text",
        "お支払いは終わっていません。お金は引き落とされていません。",
        "The fee has not been paid. No money was taken.",
    ),
    (
        "pay.expired_title",
        "お支払いの期限が切れました",
        "The payment page expired",
    ),
    (
        "pay.expired_text",
        "時間がたったため、お支払いのページが使えなくなりました。お金は引き落とされていません。もう一度お支払いください。",
        "The payment page expired. No money was taken. Please pay again.",
    ),
    ("pay.refunded_title", "返金しました", "Refunded"),
    (
        "pay.refunded_text",
        "このお支払いは返金されました。",
        "This payment has been refunded.",
    ),
    (
        "pay.unchecked",
        "（決済サービスにつながらないため、最新の状況を確認できていません。）",
        "(The payment service could not be reached, so this may not be the latest.)",
    ),
    ("pay.retry", "もう一度支払う", "Pay again"),
    ("pay.recheck", "もう一度確認する", "Check again"),
    ("pay.back", "申請の画面に戻る", "Back to the application"),
    // staff
    ("pay.staff_title", "手数料・お支払い", "Fee and payments"),
    ("pay.no_fee", "手数料はありません。", "No fee."),
    ("pay.source", "手数料の決め方", "Fee set"),
    (
        "pay.source_submission",
        "申請時に確定",
        "Fixed at submission",
    ),
    ("pay.source_staff", "職員が設定", "Set by staff"),
    ("pay.due", "支払いを待つ手順", "Waits for payment"),
    ("pay.col_payment", "決済番号", "Payment"),
    ("pay.col_state", "状態", "State"),
    ("pay.col_amount", "金額", "Amount"),
    ("pay.col_provider", "決済事業者の番号", "Provider reference"),
    ("pay.col_updated", "更新日時", "Updated"),
    ("pay.refund", "全額を返金する", "Refund in full"),
    (
        "pay.refund_failed",
        "返金できませんでした",
        "The refund failed",
    ),
    ("pay.set_fee", "手数料を設定", "Set the fee"),
    (
        "pay.set_fee_lead",
        "金額を入力して「設定して知らせる」を押すと、申請者にメッセージとメールでお知らせします。申請者は申請の画面からお支払いできます。お支払いが確認できるまで「完了」にはできません。",
        "Enter the amount and press “Set and tell the applicant”: they get a message and an e-mail and pay from the application page. The case cannot be completed until the fee is paid.",
    ),
    ("pay.current_fee", "いまの手数料", "Current fee"),
    ("pay.amount_label", "手数料（円）", "Fee (yen)"),
    (
        "pay.amount_help",
        "数字で入力してください（例：300）。",
        "A number of yen, for example 300.",
    ),
    (
        "pay.message_label",
        "申請者へのメッセージ（任意）",
        "Message to the applicant (optional)",
    ),
    (
        "pay.set_fee_submit",
        "設定して知らせる",
        "Set and tell the applicant",
    ),
    ("pay.back_case", "案件に戻る", "Back to the case"),
    // staff: reconciliation
    (
        "pay.reconcile_title",
        "決済の日次照合（会計課）",
        "Daily payment reconciliation (accounting)",
    ),
    (
        "pay.reconcile_lead",
        "選んだ日（日本時間）のお支払いの記録を、決済事業者の精算一覧と照らし合わせたCSVをダウンロードします。",
        "Download a CSV of the chosen day's payment events (Japan time), checked against the payment provider's settlement list.",
    ),
    ("pay.reconcile_date", "日付", "Date"),
    (
        "pay.reconcile_date_help",
        "例：2026-04-01",
        "For example 2026-04-01",
    ),
    ("pay.reconcile_encoding", "文字コード", "Encoding"),
    (
        "pay.reconcile_download",
        "CSVをダウンロード",
        "Download the CSV",
    ),
    (
        "pay.reconcile_link",
        "決済の日次照合",
        "Daily payment reconciliation",
    ),
];
