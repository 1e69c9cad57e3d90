//! Japanese first, English available. Messages live in one table keyed by a stable id; templates
//! call `l.t(KEY)`. A test checks that every key used in a template exists here.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Ja,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "ja" => Some(Lang::Ja),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
        }
    }
    /// The other language, for the switch button.
    pub fn other(self) -> Lang {
        match self {
            Lang::Ja => Lang::En,
            Lang::En => Lang::Ja,
        }
    }
    pub fn t(self, key: &str) -> &'static str {
        match lookup(key) {
            Some((ja, en)) => match self {
                Lang::Ja => ja,
                Lang::En => en,
            },
            None => {
                tracing::error!(key, "missing message");
                "?"
            }
        }
    }
    /// Formats a UTC millisecond timestamp in Japan time for display.
    pub fn datetime(self, ms: i64) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000) else {
            return String::new();
        };
        let t = t.to_offset(time::macros::offset!(+9));
        match self {
            Lang::Ja => format!(
                "{}年{}月{}日 {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            ),
            Lang::En => format!(
                "{}-{:02}-{:02} {:02}:{:02} JST",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            ),
        }
    }
}

/// (key, 日本語, English)
/// Every message table: the foundation's (below) and one per module, so modules add messages
/// without touching each other's lines.
pub static TABLES: &[&[(&str, &str, &str)]] = &[
    MESSAGES,
    crate::procedures::form::messages::MESSAGES,
    crate::procedures::application::messages::MESSAGES,
    crate::procedures::runner::messages::MESSAGES,
    crate::procedures::editor::messages::MESSAGES,
    crate::postal::messages::MESSAGES,
    crate::navi::messages::MESSAGES,
    crate::payments::messages::MESSAGES,
    crate::identity::messages::MESSAGES,
    crate::documents::messages::MESSAGES,
    crate::debit::messages::MESSAGES,
    crate::facilities::messages::MESSAGES,
    crate::roads::messages::MESSAGES,
    crate::roads::map_messages::MESSAGES,
    crate::roads::staff_messages::MESSAGES,
];

/// Every message of every table.
pub fn all_messages() -> impl Iterator<Item = &'static (&'static str, &'static str, &'static str)> {
    TABLES.iter().flat_map(|t| t.iter())
}

/// Whether a message key exists in any table.
pub fn has_key(key: &str) -> bool {
    lookup(key).is_some()
}

fn lookup(key: &str) -> Option<(&'static str, &'static str)> {
    static INDEX: std::sync::LazyLock<
        std::collections::HashMap<&'static str, (&'static str, &'static str)>,
    > = std::sync::LazyLock::new(|| all_messages().map(|(k, ja, en)| (*k, (*ja, *en))).collect());
    INDEX.get(key).copied()
}

/// The foundation's messages.
pub static MESSAGES: &[(&str, &str, &str)] = &[
    ("site.title", "オンライン窓口", "Online City Hall"),
    ("site.skip", "本文へ移動", "Skip to main content"),
    ("site.nav", "メインメニュー", "Main menu"),
    (
        "site.footer",
        "このサイトは 24 時間いつでもご利用いただけます。",
        "This site is open 24 hours a day.",
    ),
    ("site.settings", "表示の設定", "Display settings"),
    ("nav.home", "ホーム", "Home"),
    ("nav.login", "ログイン", "Log in"),
    ("nav.register", "新規登録", "Sign up"),
    ("nav.mypage", "マイページ", "My Page"),
    ("nav.staff", "職員の方", "For staff"),
    ("nav.staff_home", "職員ホーム", "Staff home"),
    ("nav.logout", "ログアウト", "Log out"),
    ("nav.procedures", "手続きを探す", "Find a procedure"),
    ("prefs.switch_lang", "English", "日本語"),
    ("prefs.large_on", "文字を大きく", "Larger text"),
    ("prefs.large_off", "文字を標準に", "Standard text"),
    ("form.required", "必須", "Required"),
    (
        "form.errors_title",
        "入力内容を確認してください",
        "Please check your entries",
    ),
    ("field.name", "氏名", "Full name"),
    ("field.name_help", "例：市川 花子", "e.g. Hanako Ichikawa"),
    ("field.email", "メールアドレス", "Email address"),
    (
        "field.email_help",
        "例：hanako@example.jp",
        "e.g. hanako@example.jp",
    ),
    ("field.password", "パスワード", "Password"),
    (
        "field.password_help",
        "8文字以上。長い文章のようなものがおすすめです。",
        "At least 8 characters. A long phrase is best.",
    ),
    (
        "field.password_confirm",
        "パスワード（確認）",
        "Password (again)",
    ),
    (
        "field.password_confirm_help",
        "同じパスワードをもう一度入力してください。",
        "Enter the same password again.",
    ),
    ("field.department", "所属（課）", "Department"),
    ("field.role", "役割", "Role"),
    ("field.code", "コード", "Code"),
    ("field.name_ja", "名称（日本語）", "Name (Japanese)"),
    ("field.name_en", "名称（英語）", "Name (English)"),
    (
        "home.lead",
        "市役所の手続きを、いつでも、どこからでも。",
        "City hall services, any time, from anywhere.",
    ),
    ("home.resident_title", "市民の方", "Residents"),
    (
        "home.resident_text",
        "アカウントを作ると、申請の状況をマイページで確認できます。",
        "With an account you can follow your applications on My Page.",
    ),
    ("home.procedures_title", "手続きを探す", "Find a procedure"),
    (
        "home.procedures_text",
        "オンラインで申請できる手続きや、必要なもの・手数料・かかる日数を調べられます。",
        "See which procedures you can do online, what you need, the fee and how long they take.",
    ),
    ("home.staff_title", "職員の方", "City staff"),
    (
        "home.staff_text",
        "職員用のページにログインします。",
        "Log in to the staff pages.",
    ),
    (
        "home.coming",
        "オンライン申請・手続きナビ・口座振替・施設予約などは順次公開します。",
        "Online applications, the procedure guide, direct debit and facility booking are coming step by step.",
    ),
    ("login.title", "ログイン", "Log in"),
    ("login.submit", "ログイン", "Log in"),
    (
        "login.forgot",
        "パスワードを忘れた方",
        "Forgot your password?",
    ),
    (
        "login.no_account",
        "アカウントをお持ちでない方は新規登録",
        "No account yet? Sign up",
    ),
    (
        "login.failed",
        "メールアドレスまたはパスワードが正しくありません。",
        "The email address or password is not correct.",
    ),
    (
        "login.unverified",
        "メールアドレスの確認が済んでいません。登録時にお送りしたメールのリンクを開いてください。",
        "Your email address is not confirmed yet. Please open the link in the email we sent when you signed up.",
    ),
    (
        "login.locked",
        "ログインの失敗が続いたため、一時的にログインを停止しています。しばらく（15分ほど）待ってから、もう一度お試しください。",
        "Too many failed logins. Logging in is paused for a while (about 15 minutes); please try again later.",
    ),
    (
        "login.expired",
        "一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。",
        "You were logged out after a period of inactivity. Please log in again.",
    ),
    (
        "login.needed",
        "このページを見るにはログインしてください。",
        "Please log in to see this page.",
    ),
    ("staff_login.title", "職員ログイン", "Staff login"),
    ("register.title", "新規登録", "Sign up"),
    (
        "register.lead",
        "メールアドレスとパスワードでアカウントを作成します。登録後、確認のメールをお送りします。",
        "Create an account with your email address and a password. We will send you a confirmation email.",
    ),
    ("register.submit", "登録する", "Sign up"),
    (
        "register.done_title",
        "確認メールを送りました",
        "We sent you a confirmation email",
    ),
    (
        "register.done_text",
        "メールに書かれたリンクを開くと、登録が完了します。メールが届かないときは、迷惑メールのフォルダもご確認ください。リンクの有効期限は48時間です。",
        "Open the link in the email to finish signing up. If it does not arrive, check your spam folder. The link is valid for 48 hours.",
    ),
    (
        "verify.title",
        "メールアドレスの確認",
        "Confirm your email address",
    ),
    (
        "verify.lead",
        "下のボタンを押すと、メールアドレスの確認が完了します。",
        "Press the button below to confirm your email address.",
    ),
    (
        "verify.submit",
        "メールアドレスを確認する",
        "Confirm email address",
    ),
    (
        "verify.done_title",
        "メールアドレスを確認しました",
        "Your email address is confirmed",
    ),
    (
        "verify.done_text",
        "登録が完了しました。ログインしてご利用ください。",
        "You are signed up. Please log in.",
    ),
    (
        "token.invalid",
        "このリンクは使えません。もう一度はじめからお手続きください。",
        "This link cannot be used. Please start again.",
    ),
    (
        "token.expired",
        "このリンクは有効期限が切れています。もう一度はじめからお手続きください。",
        "This link has expired. Please start again.",
    ),
    (
        "token.used",
        "このリンクはすでに使われています。",
        "This link has already been used.",
    ),
    ("forgot.title", "パスワードの再設定", "Reset your password"),
    (
        "forgot.lead",
        "登録したメールアドレスを入力してください。再設定用のリンクをお送りします。",
        "Enter the email address you signed up with. We will send you a link to set a new password.",
    ),
    ("forgot.submit", "再設定のメールを送る", "Send reset email"),
    (
        "forgot.done",
        "入力されたメールアドレスが登録されていれば、パスワード再設定のメールを送りました。リンクの有効期限は1時間です。",
        "If that email address is registered, we have sent a password reset email. The link is valid for one hour.",
    ),
    (
        "reset.title",
        "新しいパスワードの設定",
        "Set a new password",
    ),
    ("reset.submit", "パスワードを変更する", "Change password"),
    (
        "reset.done",
        "パスワードを変更しました。新しいパスワードでログインしてください。",
        "Your password is changed. Please log in with the new password.",
    ),
    ("mypage.title", "マイページ", "My Page"),
    ("mypage.hello", "さん、こんにちは。", ", welcome."),
    ("mypage.account", "アカウント情報", "Your account"),
    ("mypage.applications", "申請の状況", "Your applications"),
    (
        "mypage.no_applications",
        "まだ申請はありません。",
        "You have no applications yet.",
    ),
    ("mypage.sessions", "ログイン中の端末", "Signed-in devices"),
    (
        "mypage.logout_others",
        "ほかの端末からログアウトする",
        "Log out on other devices",
    ),
    (
        "mypage.logged_out_others",
        "ほかの端末からログアウトしました。",
        "You are logged out on other devices.",
    ),
    ("mypage.registered", "登録日", "Registered"),
    ("passkeys.title", "パスキー", "Passkeys"),
    (
        "passkeys.lead",
        "パスキーを登録すると、パスワードの代わりに、端末の指紋認証・顔認証・画面ロックでログインできます。パスワードもこれまでどおり使えます。",
        "With a passkey you can log in with your device's fingerprint, face or screen lock instead of your password. Your password keeps working.",
    ),
    (
        "passkeys.none",
        "登録されたパスキーはありません。",
        "You have no passkeys.",
    ),
    ("passkeys.col_name", "名前", "Name"),
    ("passkeys.col_created", "登録日時", "Added"),
    ("passkeys.col_last_used", "最後に使った日時", "Last used"),
    ("passkeys.col_action", "操作", "Action"),
    (
        "passkeys.never_used",
        "まだ使われていません",
        "Not used yet",
    ),
    ("passkeys.delete", "削除", "Delete"),
    ("passkeys.register", "パスキーを登録する", "Add a passkey"),
    (
        "passkeys.name_label",
        "パスキーの名前（任意）",
        "Passkey name (optional)",
    ),
    (
        "passkeys.name_help",
        "どの端末のパスキーか分かる名前にしてください。例：自宅のパソコン",
        "A name that tells you which device it is on, e.g. Home computer.",
    ),
    (
        "passkeys.nojs",
        "パスキーを登録するには、パスキーに対応したブラウザで JavaScript を有効にしてください。",
        "To add a passkey, use a browser that supports passkeys, with JavaScript turned on.",
    ),
    (
        "passkeys.login",
        "パスキーでログイン",
        "Log in with a passkey",
    ),
    (
        "passkeys.login_help",
        "パスキーを登録済みの方は、メールアドレスを入力せずにログインできます。",
        "If you have added a passkey, you can log in without typing your email address.",
    ),
    (
        "passkeys.added",
        "パスキーを登録しました。次回から、パスキーでログインできます。",
        "The passkey was added. Next time you can log in with it.",
    ),
    (
        "passkeys.deleted",
        "パスキーを削除しました。",
        "The passkey was deleted.",
    ),
    ("passkeys.default_name", "パスキー", "Passkey"),
    (
        "passkeys.unavailable",
        "このアドレスではパスキーを使えません。メールアドレスとパスワードでログインしてください。",
        "Passkeys cannot be used at this address. Please log in with your email address and password.",
    ),
    (
        "passkeys.unavailable_here",
        "このアドレス（IP アドレス）ではパスキーを使えません。ホスト名（例：localhost）でアクセスしてください。",
        "Passkeys cannot be used at an IP address. Open this site by its host name (e.g. localhost).",
    ),
    (
        "passkeys.no_challenge",
        "パスキーの操作を確認できませんでした。画面を読み込み直して、もう一度お試しください。",
        "We could not match this passkey request. Please reload the page and try again.",
    ),
    (
        "passkeys.expired",
        "時間切れになりました（有効時間は5分です）。もう一度お試しください。",
        "The request timed out (it is valid for 5 minutes). Please try again.",
    ),
    (
        "passkeys.register_failed",
        "パスキーを登録できませんでした。もう一度お試しください。",
        "The passkey could not be added. Please try again.",
    ),
    (
        "passkeys.duplicate",
        "このパスキーはすでに登録されています。",
        "This passkey is already registered.",
    ),
    (
        "passkeys.login_failed",
        "パスキーでログインできませんでした。もう一度お試しいただくか、メールアドレスとパスワードでログインしてください。",
        "We could not log you in with the passkey. Please try again, or log in with your email address and password.",
    ),
    (
        "passkeys.unknown",
        "このパスキーは登録されていません（削除された可能性があります）。メールアドレスとパスワードでログインしてください。",
        "This passkey is not registered (it may have been deleted). Please log in with your email address and password.",
    ),
    (
        "passkeys.js_working",
        "ブラウザの案内に従って、パスキーを使ってください。",
        "Follow your browser's prompts to use your passkey.",
    ),
    (
        "passkeys.js_cancelled",
        "パスキーの操作が取り消されたか、時間切れになりました。もう一度お試しください。",
        "The passkey request was cancelled or timed out. Please try again.",
    ),
    (
        "passkeys.js_exists",
        "この端末のパスキーはすでに登録されています。",
        "A passkey on this device is already registered.",
    ),
    (
        "passkeys.js_network",
        "通信に失敗しました。接続を確認して、もう一度お試しください。",
        "The connection failed. Please check it and try again.",
    ),
    (
        "passkeys.js_failed",
        "パスキーの操作に失敗しました。もう一度お試しください。",
        "The passkey request failed. Please try again.",
    ),
    ("staff.title", "職員ホーム", "Staff home"),
    ("staff.work", "業務", "Work"),
    (
        "staff.forms_link",
        "申請フォームの作成・編集",
        "Application forms (create and edit)",
    ),
    ("staff.you", "ログイン中の職員", "Signed in as"),
    ("staff.list", "職員一覧", "Staff"),
    ("staff.add", "職員を追加", "Add a staff member"),
    ("staff.add_submit", "追加する", "Add"),
    (
        "staff.added",
        "職員を追加しました。",
        "The staff member was added.",
    ),
    ("staff.departments", "課の一覧", "Departments"),
    ("staff.add_department", "課を追加", "Add a department"),
    (
        "staff.department_added",
        "課を追加しました。",
        "The department was added.",
    ),
    ("staff.no_department", "（なし）", "(none)"),
    (
        "mail.verify_subject",
        "メールアドレスの確認",
        "Confirm your email address",
    ),
    (
        "mail.verify_body",
        "オンライン窓口へのご登録ありがとうございます。\n次のリンクを開いて、メールアドレスの確認を完了してください（48時間有効）。",
        "Thank you for signing up to the online city hall.\nOpen this link to confirm your email address (valid for 48 hours).",
    ),
    (
        "mail.reset_subject",
        "パスワードの再設定",
        "Reset your password",
    ),
    (
        "mail.reset_body",
        "パスワード再設定のご依頼を受け付けました。\n次のリンクを開いて、新しいパスワードを設定してください（1時間有効）。\nお心当たりのない場合は、このメールを破棄してください。",
        "We received a request to reset your password.\nOpen this link to set a new password (valid for one hour).\nIf you did not ask for this, ignore this email.",
    ),
    (
        "mail.footer",
        "このメールは送信専用です。",
        "This is an automated message; please do not reply.",
    ),
    ("sandbox.label", "サンドボックス", "Sandbox"),
    (
        "sandbox.mailbox",
        "送信メールの確認（サンドボックス）",
        "Sent mail (sandbox)",
    ),
    (
        "sandbox.mailbox_lead",
        "デモ用の画面です。送信したメールの控えを表示します。SMTP サーバーが設定されていないときは、実際には送信されません。",
        "A demo page showing copies of the mail the site sends. Without an SMTP server configured, nothing is actually sent.",
    ),
    (
        "sandbox.no_mail",
        "まだメールはありません。",
        "No mail yet.",
    ),
    ("table.to", "宛先", "To"),
    ("table.subject", "件名", "Subject"),
    ("table.sent_at", "日時", "Time"),
    ("table.body", "本文", "Body"),
    ("proc.list_title", "手続きの一覧", "Procedures"),
    (
        "proc.list_lead",
        "市役所の手続きを、名前・よみがな・ライフイベントから探せます。",
        "Find a city procedure by its name, its reading or a life event.",
    ),
    ("proc.search", "手続きの検索", "Search procedures"),
    ("proc.q_label", "キーワード", "Keywords"),
    (
        "proc.q_help",
        "例：児童手当、じどうてあて、住民票。ひらがな・カタカナ・全角半角・旧字体のどれでも探せます。",
        "e.g. 児童手当, じどうてあて, child allowance. Hiragana, katakana, full or half width and old kanji forms all work.",
    ),
    ("proc.life_event_label", "ライフイベント", "Life event"),
    ("proc.life_event_all", "すべて", "All"),
    (
        "proc.online_only",
        "オンラインで申請できる手続きだけを表示する",
        "Show only procedures you can do online",
    ),
    ("proc.search_submit", "検索する", "Search"),
    ("proc.results", "検索結果", "Results"),
    ("proc.all", "すべての手続き", "All procedures"),
    ("proc.count", "{n}件の手続きがあります。", "{n} procedures."),
    (
        "proc.none_found",
        "条件に合う手続きが見つかりませんでした。キーワードを短くするか、ひらがなで入力してみてください。",
        "No procedure matches. Try a shorter keyword, or type it in hiragana.",
    ),
    (
        "proc.show_all",
        "すべての手続きを見る",
        "See all procedures",
    ),
    (
        "proc.online",
        "オンラインで申請できます",
        "You can apply online",
    ),
    (
        "proc.in_person",
        "来庁が必要です",
        "You need to come to the office",
    ),
    ("proc.fee_amount", "手数料 {n}円", "Fee: ¥{n}"),
    ("proc.free", "無料", "Free"),
    (
        "proc.processing_days",
        "標準処理期間 {n}日",
        "Standard processing period: {n} days",
    ),
    (
        "proc.processing_same_day",
        "標準処理期間 即日",
        "Standard processing period: same day",
    ),
    (
        "proc.processing_none",
        "標準処理期間の定めはありません",
        "No standard processing period is set",
    ),
    ("proc.department", "担当課", "Department"),
    ("proc.department_of", "担当課：{n}", "Department: {n}"),
    ("proc.department_none", "確認中", "Being confirmed"),
    ("proc.details", "手続きの内容", "About this procedure"),
    (
        "proc.ja_only",
        "次の項目の一部は日本語だけで書かれています。",
        "Some of the following is written in Japanese only.",
    ),
    ("proc.eligibility", "申請できる方", "Who can apply"),
    ("proc.documents", "必要なもの", "What you need"),
    (
        "proc.documents_none",
        "特にありません",
        "Nothing in particular",
    ),
    ("proc.legal_basis", "根拠法令", "Legal basis"),
    ("proc.fee_label", "手数料", "Fee"),
    (
        "proc.processing_label",
        "標準処理期間",
        "Standard processing period",
    ),
    ("proc.identity", "本人確認", "Identity check"),
    ("proc.identity_none", "ログイン不要", "No login needed"),
    (
        "proc.identity_signed_in",
        "ログインが必要",
        "You need to log in",
    ),
    (
        "proc.identity_card",
        "マイナンバーカードでの本人確認が必要",
        "Identity check with your My Number Card needed",
    ),
    ("proc.life_events", "ライフイベント", "Life events"),
    ("proc.apply_online", "オンラインで申請する", "Apply online"),
    (
        "proc.in_person_text",
        "この手続きはオンラインでは申請できません。担当課の窓口でお手続きください。",
        "You cannot apply for this online. Please go to the department's counter.",
    ),
    (
        "proc.back_to_list",
        "手続きの一覧へ戻る",
        "Back to the list of procedures",
    ),
    (
        "proc.back_to_detail",
        "手続きの説明へ戻る",
        "Back to the procedure",
    ),
    ("proc.apply_title", "オンライン申請", "Apply online"),
    (
        "proc.apply_preparing",
        "この手続きのオンライン申請は準備中です",
        "Online applications for this procedure are not open yet",
    ),
    (
        "proc.apply_preparing_text",
        "申請フォームを準備しています。公開されるまでは、担当課の窓口でお手続きください。必要なものは手続きの説明のページでご確認いただけます。",
        "We are preparing the online form. Until it opens, please apply at the department's counter. The procedure page lists what you need.",
    ),
    ("life.birth", "出産・子どもの誕生", "Having a baby"),
    ("life.marriage", "結婚", "Getting married"),
    ("life.divorce", "離婚", "Divorce"),
    (
        "life.death",
        "おくやみ（ご家族の死亡）",
        "A death in the family",
    ),
    ("life.move_in", "市外からの引っ越し", "Moving into the city"),
    (
        "life.move_out",
        "市外への引っ越し",
        "Moving out of the city",
    ),
    (
        "life.move_within",
        "市内での引っ越し",
        "Moving within the city",
    ),
    ("life.childcare", "子育て", "Raising children"),
    ("life.care", "介護", "Long-term care"),
    ("life.disaster", "災害", "Disasters"),
    ("life.tax", "税金", "Taxes"),
    ("life.business", "仕事・事業", "Work and business"),
    ("err.title", "エラー", "Error"),
    ("err.back_home", "ホームへ戻る", "Back to home"),
    (
        "err.not_found",
        "お探しのページが見つかりません。アドレスをご確認ください。",
        "The page you are looking for was not found. Please check the address.",
    ),
    (
        "err.forbidden",
        "このページを見る権限がありません。",
        "You do not have permission to see this page.",
    ),
    (
        "err.csrf",
        "送信を受け付けられませんでした。画面を読み込み直して、もう一度送信してください。",
        "We could not accept the submission. Please reload the page and send it again.",
    ),
    (
        "err.too_large",
        "送信された内容が大きすぎます。",
        "The submission is too large.",
    ),
    (
        "err.bad_request",
        "送信された内容を読み取れませんでした。入力をご確認ください。",
        "We could not read the submission. Please check your entries.",
    ),
    (
        "err.internal",
        "システムで問題が起きました。時間をおいて、もう一度お試しください。",
        "Something went wrong on our side. Please try again later.",
    ),
    (
        "err.unavailable",
        "ただいま混み合っているか、メンテナンス中です。時間をおいてお試しください。",
        "The service is busy or under maintenance. Please try again later.",
    ),
    (
        "err.timeout",
        "処理に時間がかかりすぎました。もう一度お試しください。",
        "The request took too long. Please try again.",
    ),
    (
        "err.method",
        "この操作はできません。",
        "This action is not allowed.",
    ),
    (
        "err.unauthorized",
        "ログインが必要です。",
        "You need to log in.",
    ),
    (
        "v.name_required",
        "氏名を入力してください。",
        "Enter your full name.",
    ),
    (
        "v.name_long",
        "氏名は100文字以内で入力してください。",
        "Enter your name in 100 characters or fewer.",
    ),
    (
        "v.email_invalid",
        "メールアドレスを、例のように正しい形で入力してください（例：hanako@example.jp）。",
        "Enter an email address in the right form, e.g. hanako@example.jp.",
    ),
    (
        "v.email_taken",
        "このメールアドレスはすでに登録されています。ログインするか、パスワードを再設定してください。",
        "This email address is already registered. Log in or reset your password.",
    ),
    (
        "v.password_short",
        "パスワードは8文字以上で入力してください。",
        "Enter a password of at least 8 characters.",
    ),
    (
        "v.password_long",
        "パスワードは128文字以内で入力してください。",
        "Enter a password of 128 characters or fewer.",
    ),
    (
        "v.password_common",
        "よく使われていて推測されやすいパスワードです。別のものにしてください。",
        "This password is too common and easy to guess. Choose another.",
    ),
    (
        "v.password_email",
        "パスワードにメールアドレスを含めないでください。",
        "Do not use your email address in the password.",
    ),
    (
        "v.password_mismatch",
        "確認用のパスワードが一致しません。同じものを入力してください。",
        "The two passwords do not match. Enter the same password twice.",
    ),
    (
        "v.password_required",
        "パスワードを入力してください。",
        "Enter your password.",
    ),
    (
        "v.role_invalid",
        "役割を一覧から選んでください。",
        "Choose a role from the list.",
    ),
    (
        "v.department_invalid",
        "課を一覧から選んでください。",
        "Choose a department from the list.",
    ),
    (
        "v.code_invalid",
        "コードは半角英数字とハイフンで、1〜32文字で入力してください。",
        "Enter a code of 1–32 letters, digits or hyphens.",
    ),
    (
        "v.code_taken",
        "このコードはすでに使われています。",
        "This code is already used.",
    ),
    (
        "v.text_long",
        "長すぎます。短くしてください。",
        "This is too long. Please shorten it.",
    ),
    (
        "v.slug_invalid",
        "アドレス名は半角の小文字英数字とハイフンで、64文字以内で入力してください。",
        "Use up to 64 lower-case letters, digits and hyphens for the address name.",
    ),
    (
        "v.reading_invalid",
        "よみがなは、ひらがなで入力してください。",
        "Enter the reading in hiragana.",
    ),
    (
        "v.amount_invalid",
        "金額は0円以上の整数で入力してください。",
        "Enter an amount of 0 yen or more, in whole yen.",
    ),
    (
        "v.days_invalid",
        "日数は0から3650までの整数で入力してください。",
        "Enter a number of days from 0 to 3650.",
    ),
    (
        "v.text_required",
        "入力してください。",
        "This field is required.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, ja, en) in all_messages() {
            assert!(seen.insert(*k), "duplicate key {k}");
            assert!(!ja.is_empty() && !en.is_empty(), "{k} lacks a translation");
        }
    }

    #[test]
    fn every_key_used_in_templates_and_code_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let re_start = ".t(\"";
        let mut used = Vec::new();
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).expect("readable directory") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    out.push(p);
                }
            }
        }
        let mut files: Vec<std::path::PathBuf> = Vec::new();
        walk(std::path::Path::new(dir), &mut files);
        for src in ["/src/web", "/src/procedures", "/src/postal", "/src/navi"] {
            let d = format!("{}{src}", env!("CARGO_MANIFEST_DIR"));
            walk(std::path::Path::new(&d), &mut files);
        }
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let mut rest = text.as_str();
            while let Some(i) = rest.find(re_start) {
                rest = &rest[i + re_start.len()..];
                if let Some(end) = rest.find('"') {
                    used.push((f.display().to_string(), rest[..end].to_string()));
                }
            }
        }
        assert!(used.len() > 20, "found too few keys: {}", used.len());
        for (file, key) in used {
            assert!(has_key(&key), "{file}: unknown message key {key}");
        }
    }

    #[test]
    fn datetime_is_japan_time() {
        // 2026-01-01T00:00:00Z is 09:00 in Japan.
        assert_eq!(Lang::Ja.datetime(1_767_225_600_000), "2026年1月1日 09:00");
        assert_eq!(Lang::En.datetime(1_767_225_600_000), "2026-01-01 09:00 JST");
    }
}
