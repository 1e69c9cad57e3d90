//! Messages of the staff forms of the road ledger (`roads::staff`; ja, en), one of the tables in
//! `crate::web::i18n::TABLES`. Field errors are shown as "<field label>：<message>", so each
//! message says the fix and the label names the field.

pub static MESSAGES: &[(&str, &str, &str)] = &[
    (
        "roadstaff.list_title",
        "道路台帳の編集",
        "Edit the road ledger",
    ),
    (
        "roadstaff.list_lead",
        "路線を探して、路線の内容・調書を直します。保存するたびに、誰がいつ何を変えたかが履歴に残ります。",
        "Find a route and correct the route or its ledger sheet. Every save is kept in the history: who changed what, and when.",
    ),
    ("roadstaff.col_work", "作業", "Actions"),
    ("roadstaff.edit_route", "路線を編集", "Edit the route"),
    (
        "roadstaff.edit_sheet",
        "調書を編集",
        "Edit the ledger sheet",
    ),
    ("roadstaff.edit_on_map", "地図で編集", "Edit on the map"),
    ("roadstaff.history_link", "履歴", "History"),
    (
        "roadstaff.back_list",
        "路線の一覧に戻る",
        "Back to the routes",
    ),
    ("roadstaff.back", "戻る", "Back"),
    (
        "roadstaff.route_nav",
        "この路線の画面",
        "Pages of this route",
    ),
    (
        "roadstaff.public_page",
        "公開している調書を見る",
        "See the public ledger sheet",
    ),
    ("roadstaff.route_title", "路線の編集", "Edit route"),
    ("roadstaff.sheet_title", "調書の編集", "Edit ledger sheet"),
    (
        "roadstaff.sheet_current",
        "今の調書の版:",
        "Current version:",
    ),
    (
        "roadstaff.sheet_lead",
        "保存すると新しい版になり、前の版も残ります。",
        "Saving makes a new version; the earlier ones are kept.",
    ),
    ("roadstaff.save_route", "路線を保存する", "Save the route"),
    (
        "roadstaff.save_sheet",
        "調書を新しい版で保存する",
        "Save as a new version",
    ),
    ("roadstaff.saved", "保存しました。", "Saved."),
    ("roadstaff.choose", "選んでください", "Choose one"),
    (
        "roadstaff.sections",
        "この路線の区間",
        "Sections of this route",
    ),
    (
        "roadstaff.no_sections",
        "この路線には区間がありません。",
        "This route has no sections.",
    ),
    ("roadstaff.public_field", "公開・非公開", "Public"),
    (
        "roadstaff.public",
        "公開する（地図・一覧・データで誰でも見られる）",
        "Public (anyone can see it on the map, in the list and as data)",
    ),
    (
        "roadstaff.help_public",
        "チェックを外すと、地図・一覧・API に出なくなります（非公開）。",
        "Unchecked, the route is left out of the map, the list and the API.",
    ),
    ("roadstaff.public_yes", "公開", "Public"),
    ("roadstaff.public_no", "非公開", "Not public"),
    ("roadstaff.reason", "変更の理由", "Reason for the change"),
    (
        "roadstaff.help_reason",
        "履歴に残ります。例：認定変更の告示（第12号）による",
        "Kept in the history. For example: notice no. 12 changing the certification",
    ),
    (
        "roadstaff.sheet_reason",
        "台帳補正の理由",
        "Reason for the correction",
    ),
    (
        "roadstaff.reason_construction",
        "工事竣工",
        "Construction finished",
    ),
    (
        "roadstaff.reason_area_change",
        "区域変更",
        "Road area changed",
    ),
    (
        "roadstaff.reason_certification",
        "認定変更",
        "Certification changed",
    ),
    (
        "roadstaff.reason_correction",
        "誤りの訂正",
        "Correction of an error",
    ),
    ("roadstaff.reason_import", "データの取り込み", "Import"),
    (
        "roadstaff.help_date",
        "例：1985-04-01、1985/4/1",
        "For example 1985-04-01 or 1985/4/1",
    ),
    (
        "roadstaff.help_date_opt",
        "例：1985-04-01、1985/4/1（ない場合は空のまま）",
        "For example 1985-04-01 or 1985/4/1 (leave empty if none)",
    ),
    (
        "roadstaff.help_optional",
        "ない場合は空のままにしてください。",
        "Leave empty if none.",
    ),
    (
        "roadstaff.help_via",
        "1 行に 1 か所ずつ書きます。例：八幡、鬼越",
        "One place a line. For example 八幡, then 鬼越",
    ),
    (
        "roadstaff.help_lots",
        "1 行に「地番, 面積（m²）」と書きます。例：八幡二丁目12-3, 4.5",
        "One lot a line as \"lot number, area in m²\". For example 八幡二丁目12-3, 4.5",
    ),
    // 調書 fields
    ("roadstaff.sheet.via", "主要な経過地", "Main places passed"),
    (
        "roadstaff.sheet.length_actual_m",
        "実延長（m）",
        "Actual length (m)",
    ),
    (
        "roadstaff.sheet.length_shared_m",
        "重用延長（m）",
        "Length shared with other routes (m)",
    ),
    (
        "roadstaff.sheet.length_unopened_m",
        "未供用延長（m）",
        "Length not yet open (m)",
    ),
    (
        "roadstaff.sheet.length_bridges_m",
        "橋梁延長（m）",
        "Length of bridges (m)",
    ),
    (
        "roadstaff.sheet.length_tunnels_m",
        "トンネル延長（m）",
        "Length of tunnels (m)",
    ),
    (
        "roadstaff.sheet.length_paved_m",
        "舗装済延長（m）",
        "Paved length (m)",
    ),
    (
        "roadstaff.sheet.length_unpaved_m",
        "未舗装延長（m）",
        "Unpaved length (m)",
    ),
    (
        "roadstaff.sheet.width_typical_m",
        "一般幅員（m）",
        "Typical width (m)",
    ),
    (
        "roadstaff.sheet.width_narrowest_m",
        "最狭幅員（m）",
        "Narrowest width (m)",
    ),
    (
        "roadstaff.sheet.steepest_gradient_pct",
        "最急勾配（%）",
        "Steepest gradient (%)",
    ),
    (
        "roadstaff.sheet.min_curve_radius_m",
        "最小曲線半径（m）",
        "Smallest curve radius (m)",
    ),
    ("roadstaff.sheet.bridges", "橋梁の数", "Bridges"),
    ("roadstaff.sheet.tunnels", "トンネルの数", "Tunnels"),
    (
        "roadstaff.sheet.pedestrian_bridges",
        "横断歩道橋の数",
        "Pedestrian bridges",
    ),
    (
        "roadstaff.sheet.level_crossings",
        "踏切の数",
        "Level crossings",
    ),
    (
        "roadstaff.sheet.area_decided_on",
        "区域決定・変更の年月日",
        "Road area decided or changed on",
    ),
    ("roadstaff.sheet.notice_number", "告示番号", "Notice number"),
    (
        "roadstaff.sheet.private_lots",
        "道路区域内の民有地（地番と面積）",
        "Private land inside the road area (lot and area)",
    ),
    ("roadstaff.sheet.remarks", "備考", "Remarks"),
    // errors (shown after the field's label)
    (
        "roadstaff.err_required",
        "入力してください。",
        "Enter a value.",
    ),
    (
        "roadstaff.err_long",
        "長すぎます。短くしてください。",
        "Too long. Make it shorter.",
    ),
    (
        "roadstaff.err_long_50",
        "50 文字以内で入力してください。",
        "Use at most 50 characters.",
    ),
    (
        "roadstaff.err_long_2000",
        "2000 文字以内で入力してください。",
        "Use at most 2000 characters.",
    ),
    (
        "roadstaff.err_choice",
        "一覧から選んでください。",
        "Choose one from the list.",
    ),
    (
        "roadstaff.err_date",
        "年月日を 1985-04-01 のように入力してください（実在する日付）。",
        "Enter a real date like 1985-04-01.",
    ),
    (
        "roadstaff.err_date_opt",
        "年月日を 1985-04-01 のように入力するか、空にしてください。",
        "Enter a real date like 1985-04-01, or leave it empty.",
    ),
    (
        "roadstaff.err_length",
        "0 から 100000 までの数字（m）で入力してください。",
        "Enter a number of metres from 0 to 100000.",
    ),
    (
        "roadstaff.err_length_opt",
        "0 から 100000 までの数字（m）で入力するか、空にしてください。",
        "Enter a number of metres from 0 to 100000, or leave it empty.",
    ),
    (
        "roadstaff.err_width",
        "0 から 100 までの数字（m）で入力してください。",
        "Enter a number of metres from 0 to 100.",
    ),
    (
        "roadstaff.err_width_order",
        "最小幅員より小さくできません。最小幅員以上の数字にしてください。",
        "Cannot be less than the minimum width. Enter the minimum width or more.",
    ),
    (
        "roadstaff.err_gradient",
        "0 から 100 までの数字（%）で入力するか、空にしてください。",
        "Enter a percentage from 0 to 100, or leave it empty.",
    ),
    (
        "roadstaff.err_count",
        "0 以上の整数で入力してください（例：2）。",
        "Enter a whole number of 0 or more (for example 2).",
    ),
    (
        "roadstaff.err_via",
        "1 行 100 文字以内、50 行以内で入力してください。",
        "Use at most 50 lines of up to 100 characters.",
    ),
    (
        "roadstaff.err_lots",
        "1 行に「地番, 面積」の形で入力してください（面積は数字、m²）。",
        "Write each line as \"lot number, area\" (the area a number of m²).",
    ),
    (
        "roadstaff.err_reason",
        "変更の理由を 200 文字以内で入力してください。",
        "Enter the reason for the change, up to 200 characters.",
    ),
    (
        "roadstaff.err_sheet_reason",
        "台帳補正の理由を一覧から選んでください。",
        "Choose the reason for the correction from the list.",
    ),
    (
        "roadstaff.err_route_taken",
        "この路線番号は同じ種類の道路ですでに使われています。別の番号にしてください。",
        "This route number is already used for a road of the same kind. Use another number.",
    ),
    (
        "roadstaff.err_invalid",
        "保存できない値があります。入力を確かめてください。",
        "A value cannot be saved. Check the form.",
    ),
    (
        "roadstaff.err_conflict",
        "ほかの職員がこの路線を先に保存しました。最新の内容を表示しています。もう一度変更してください。",
        "Someone else saved this route first. The latest version is shown; make your change again.",
    ),
    (
        "roadstaff.err_conflict_sheet",
        "ほかの職員がこの調書を先に保存しました。最新の版を表示しています。もう一度変更してください。",
        "Someone else saved this ledger sheet first. The latest version is shown; make your change again.",
    ),
    // history
    (
        "roadstaff.history_route",
        "路線の変更履歴",
        "History of the route",
    ),
    (
        "roadstaff.history_sheet",
        "調書の変更履歴",
        "History of the ledger sheet",
    ),
    (
        "roadstaff.history_section",
        "区間の変更履歴",
        "History of the section",
    ),
    (
        "roadstaff.history_none",
        "まだ変更の記録はありません。",
        "No changes recorded yet.",
    ),
    ("roadstaff.who", "変更した人", "Changed by"),
    ("roadstaff.when", "日時（日本時間）", "When (Japan time)"),
    ("roadstaff.why", "理由", "Reason"),
    ("roadstaff.changes", "変更した項目", "Changed fields"),
    (
        "roadstaff.no_changes",
        "変更した項目はありません。",
        "No field changed.",
    ),
    ("roadstaff.col_field", "項目", "Field"),
    ("roadstaff.col_before", "変更前", "Before"),
    ("roadstaff.col_after", "変更後", "After"),
    ("roadstaff.none", "（なし）", "(none)"),
    ("roadstaff.geometry", "形状", "Geometry"),
    ("roadstaff.geometry_points", " 点の線", "-point line"),
    ("roadstaff.actor_cli", "コマンド（管理用）", "Command line"),
    ("roadstaff.actor_system", "システム", "System"),
    ("roadstaff.action_create", "作成", "Created"),
    ("roadstaff.action_update", "変更", "Changed"),
    ("roadstaff.action_delete", "削除", "Deleted"),
    ("roadstaff.action_import", "取り込み", "Imported"),
];
