//! Messages of the card sign-in and staff single sign-on (ja, en), one of the tables in
//! `crate::web::i18n::TABLES`.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    (
        "identity.card_login",
        "マイナンバーカードでログイン",
        "Sign in with your My Number card",
    ),
    (
        "identity.consent_lead",
        "スマートフォンの「デジタル認証アプリ」で、マイナンバーカードを読み取ってログインします。マイナンバー（個人番号）は読み取りません。",
        "You sign in by reading your My Number card with the Digital Agency's デジタル認証アプリ on your smartphone. Your My Number (individual number) is not read.",
    ),
    (
        "identity.consent_facts",
        "この手続では、次の情報をカードから読み取り、申請の画面に入れます。",
        "For this procedure, the following is read from the card and filled into the form:",
    ),
    (
        "identity.consent_keep",
        "読み取った情報は、あなたのアカウントに「マイナンバーカードで確認済み」として保存し、次の申請でも使います。",
        "What is read is kept on your account as checked with the My Number card, and used again in your next applications.",
    ),
    (
        "identity.consent_no_facts",
        "カードからは、あなたを見分ける番号（マイナンバーとは別のもの）だけを受け取ります。氏名や住所は読み取りません。",
        "Only an identifier that tells you apart (not your My Number) is received from the card. Your name and address are not read.",
    ),
    (
        "identity.agree_and_login",
        "同意してログイン",
        "Agree and sign in",
    ),
    (
        "identity.login_without_facts",
        "情報を読み取らずにログイン",
        "Sign in without reading this information",
    ),
    (
        "identity.without_facts_note",
        "読み取らない場合は、申請の画面でご自分で入力してください。",
        "If you choose not to share it, you type it in yourself on the form.",
    ),
    ("identity.fact_name", "氏名", "Name"),
    ("identity.fact_address", "住所", "Address"),
    ("identity.fact_birthdate", "生年月日", "Date of birth"),
    ("identity.fact_gender", "性別", "Gender"),
    (
        "identity.verified_badge",
        "マイナンバーカードで確認済み",
        "Checked with the My Number card",
    ),
    (
        "identity.postal_hint_verified",
        "7けたの数字（例：272-8501）。住所はマイナンバーカードの情報です。",
        "7 digits (e.g. 272-8501). The address is the one on your My Number Card.",
    ),
    (
        "identity.verified_facts",
        "カードで確認済みの情報",
        "Information checked with the card",
    ),
    (
        "identity.not_configured",
        "マイナンバーカードでのログインは、この窓口ではまだ使えません。",
        "Signing in with the My Number card is not available here yet.",
    ),
    ("identity.to_login", "ログインの画面へ", "Go to sign-in"),
    (
        "identity.to_staff_login",
        "職員ログインの画面へ",
        "Go to staff sign-in",
    ),
    (
        "identity.refused_title",
        "ログインできませんでした",
        "Sign-in failed",
    ),
    (
        "identity.err_state",
        "ログインの手続きを確認できませんでした。時間がたちすぎたか、別の画面やブラウザで始めた可能性があります。もう一度、最初からログインしてください。",
        "The sign-in could not be matched to this browser: it took too long, or it was started in another window or browser. Please start the sign-in again.",
    ),
    (
        "identity.err_denied",
        "ログインは取り消されました。もう一度ログインするときは、最初からやり直してください。",
        "The sign-in was cancelled. To sign in, please start again.",
    ),
    (
        "identity.err_provider",
        "デジタル認証アプリの窓口と通信できませんでした。しばらくしてから、もう一度お試しください。",
        "The sign-in service could not be reached. Please try again later.",
    ),
    (
        "identity.err_code",
        "ログインの確認に使う番号が、使えないものでした（使用済み、または期限切れ）。もう一度、最初からログインしてください。",
        "The code that confirms the sign-in could not be used (already used or expired). Please start the sign-in again.",
    ),
    (
        "identity.err_signature",
        "ログインの証明書の署名を確かめられませんでした。安全のためログインしませんでした。もう一度お試しください。",
        "The signature of the sign-in proof could not be verified, so you were not signed in. Please try again.",
    ),
    (
        "identity.err_expired",
        "ログインの証明の有効期限が切れていました。もう一度、最初からログインしてください。端末の時刻が正しいかもお確かめください。",
        "The sign-in proof had expired. Please start the sign-in again, and check that your device's clock is right.",
    ),
    (
        "identity.err_audience",
        "このログインの証明は、ほかのサービスあてのものでした。安全のためログインしませんでした。",
        "The sign-in proof was meant for another service, so you were not signed in.",
    ),
    (
        "identity.err_issuer",
        "ログインの証明の発行元が違いました。安全のためログインしませんでした。",
        "The sign-in proof came from an unexpected issuer, so you were not signed in.",
    ),
    (
        "identity.err_nonce",
        "ログインの証明が、この画面で始めたログインのものではありませんでした。もう一度、最初からログインしてください。",
        "The sign-in proof does not belong to the sign-in started here. Please start the sign-in again.",
    ),
    (
        "identity.err_malformed",
        "ログインの証明の形式が正しくありませんでした。もう一度お試しください。",
        "The sign-in proof was not in the right form. Please try again.",
    ),
    (
        "identity.err_other_account",
        "このマイナンバーカードは別のアカウントにつながっているか、このアカウントには別のカードがつながっています。カードを更新した場合などは、市役所の窓口でつなぎ直しをお申し出ください。",
        "This My Number card is linked to another account, or this account is linked to another card. If you renewed your card, please ask at the city hall counter to re-link it.",
    ),
    (
        "identity.err_no_group",
        "職員の所属グループが、この窓口のどの課にも割り当てられていません。情報システム課にお問い合わせください。",
        "Your staff group is not mapped to any department here. Please contact the information systems division.",
    ),
    (
        "identity.staff_sso",
        "職員IDでログイン",
        "Sign in with your staff ID",
    ),
    (
        "identity.staff_sso_lead",
        "市の職員ID（シングルサインオン）の画面に移ってログインします。所属と役割は、職員IDのグループから決まります。",
        "You sign in on the city's staff ID (single sign-on) page. Your department and role come from your staff ID groups.",
    ),
    (
        "identity.card_required",
        "この手続は、マイナンバーカードでログインしてから申請してください。入力した内容は保存されています。",
        "For this procedure, please sign in with your My Number card before applying. What you typed has been kept.",
    ),
    (
        "identity.card_session",
        "マイナンバーカードでログインしています",
        "Signed in with the My Number card",
    ),
    (
        "identity.sandbox_title",
        "デジタル認証アプリ（サンドボックス）",
        "デジタル認証アプリ (sandbox)",
    ),
    (
        "identity.sandbox_lead",
        "これはテスト用のサンドボックスです。本物のデジタル認証アプリではありません。架空のカード所有者を選んでください。",
        "This is a test sandbox, not the real デジタル認証アプリ. Pick a fictional card holder.",
    ),
    (
        "identity.sandbox_staff_lead",
        "これはテスト用のサンドボックスです。架空の職員を選んでください。",
        "This is a test sandbox. Pick a fictional staff member.",
    ),
    ("identity.sandbox_who", "ログインする人", "Who signs in"),
    (
        "identity.sandbox_scopes",
        "読み取りを求められた情報",
        "Information asked for",
    ),
    (
        "identity.sandbox_fault",
        "テスト用: わざと誤った応答を返す",
        "For testing: answer wrongly on purpose",
    ),
    (
        "identity.sandbox_fault_none",
        "誤りなし（正しく応答）",
        "No error (answer correctly)",
    ),
    (
        "identity.sandbox_fault_expired",
        "期限切れのIDトークン",
        "Expired ID token",
    ),
    (
        "identity.sandbox_fault_wrong_key",
        "別の鍵で署名したIDトークン",
        "ID token signed with another key",
    ),
    ("identity.sandbox_fault_nonce", "違う nonce", "Wrong nonce"),
    (
        "identity.sandbox_fault_audience",
        "ほかのサービスあて（aud 違い）",
        "For another client (wrong aud)",
    ),
    (
        "identity.sandbox_approve",
        "この人でログインする",
        "Sign in as this person",
    ),
    ("identity.sandbox_cancel", "取り消す", "Cancel"),
    (
        "identity.sandbox_error",
        "要求に誤りがあります",
        "The request is wrong",
    ),
    (
        "identity.relink_title",
        "マイナンバーカードの連携の付け替え",
        "Move a My Number Card link",
    ),
    ("identity.relink_error_prefix", "エラー：", "Error: "),
    (
        "identity.relink_back",
        "職員ホームに戻る",
        "Back to staff home",
    ),
    (
        "identity.relink_intro",
        "カードの更新などで、新しいカードでログインすると別のアカウントができてしまった方のための画面です。元のアカウントを探し、新しいカードのアカウントと確認済みの情報を比べ、窓口で本人確認書類を確かめてから、新しいカードを元のアカウントにつなぎ直します。新しいカードのアカウントは使えなくなります。",
        "For residents whose new card (after a renewal, for example) signed in to a new account. Find the old account, compare its verified facts with the new card's account, check the resident's identity document at the counter, then link the new card to the old account. The new card's account is closed.",
    ),
    (
        "identity.relink_email",
        "元のアカウントのメールアドレス",
        "E-mail address of the old account",
    ),
    (
        "identity.relink_email_help",
        "住民の方がいつもログインに使っているメールアドレスです。",
        "The address the resident usually signs in with.",
    ),
    ("identity.relink_search", "探す", "Search"),
    (
        "identity.relink_no_account",
        "そのメールアドレスの住民アカウントが見つかりません。メールアドレスを確かめて、もう一度入力してください。",
        "No resident account has that e-mail address. Check the address and enter it again.",
    ),
    ("identity.relink_old", "元のアカウント", "The old account"),
    (
        "identity.relink_card",
        "マイナンバーカードの連携",
        "My Number Card link",
    ),
    (
        "identity.relink_card_yes",
        "あり（古いカード）",
        "Yes (the old card)",
    ),
    ("identity.relink_card_no", "なし", "None"),
    (
        "identity.relink_candidates",
        "氏名が同じ、新しいカードのアカウント",
        "New card accounts with the same name",
    ),
    (
        "identity.relink_none",
        "氏名が同じカードのアカウントはありません。新しいカードで一度、「同意してログイン」（氏名を読み取る）でログインしてもらってから、もう一度探してください。",
        "No card account has the same name. Ask the resident to sign in once with the new card using 「同意してログイン」 (which reads the name), then search again.",
    ),
    (
        "identity.relink_linked_at",
        "カードでの初回ログイン",
        "first card sign-in",
    ),
    ("identity.relink_col_fact", "情報", "Fact"),
    ("identity.relink_col_old", "元のアカウント", "Old account"),
    ("identity.relink_col_new", "新しいカード", "New card"),
    ("identity.relink_col_result", "比べた結果", "Result"),
    ("identity.relink_same", "一致", "Same"),
    ("identity.relink_differs", "不一致", "Different"),
    (
        "identity.relink_unknown",
        "片方のみ",
        "Known on one side only",
    ),
    (
        "identity.relink_checked",
        "窓口で本人確認書類を見て、元のアカウントの方と同じ人であることを確かめました",
        "I checked the resident's identity document at the counter: this is the person of the old account",
    ),
    (
        "identity.relink_button",
        "新しいカードを元のアカウントにつなぐ",
        "Link the new card to the old account",
    ),
    (
        "identity.relink_cannot",
        "確認済みの情報が違うため、つなぎ直せません。同じ人かどうか、窓口で確かめてください。",
        "The verified facts differ, so the card cannot be moved. Check at the counter whether this is the same person.",
    ),
    (
        "identity.relink_done",
        "新しいカードを元のアカウントにつなぎました。次からは新しいカードで元のアカウントにログインできます。",
        "The new card now signs in to the old account.",
    ),
    (
        "identity.relink_not_checked",
        "「本人確認書類を見て…確かめました」にチェックを入れてください。何も変更していません。",
        "Tick the box that you checked the identity document. Nothing was changed.",
    ),
    (
        "identity.relink_no_card",
        "選んだアカウントにはマイナンバーカードの連携がありません。何も変更していません。",
        "The chosen account has no My Number Card link. Nothing was changed.",
    ),
    (
        "identity.relink_facts_differ",
        "2つのアカウントの確認済みの情報が違うため、つなぎ直せません。何も変更していません。",
        "The verified facts of the two accounts differ, so the card cannot be moved. Nothing was changed.",
    ),
];
