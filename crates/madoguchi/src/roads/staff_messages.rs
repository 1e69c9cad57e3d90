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
    (
        "roadstaff.new_link",
        "新しい路線を登録する",
        "Register a new route",
    ),
    (
        "roadstaff.new_title",
        "路線の新規登録",
        "Register a new route",
    ),
    (
        "roadstaff.new_lead",
        "新しく認定された路線を台帳に登録します。区間は登録のあと、取り込み（madoguchi roads import、路線名のない地物はこの路線に区間を加えます）で加えます。調書は登録のあと「調書を編集」から作ります。",
        "Registers a newly certified route in the ledger. Add its sections afterwards with the import (madoguchi roads import: features without a route name add sections to it), and its ledger sheet with “Edit the ledger sheet”.",
    ),
    (
        "roadstaff.create_route",
        "路線を登録する",
        "Register the route",
    ),
    (
        "roadstaff.created",
        "路線を登録しました。続けて調書を作ってください。",
        "The route is registered. Next, create its ledger sheet.",
    ),
    (
        "roadstaff.abolished",
        "路線を廃止しました。公開の地図・APIからは消えました。記録・調書・履歴は残っています。",
        "The route is abolished. It has left the public map and API; its record, ledger sheets and history are kept.",
    ),
    (
        "roadstaff.abolished_title",
        "廃止された路線です",
        "This route is abolished",
    ),
    (
        "roadstaff.abolished_body",
        "この路線と区間・区域線・施設は、公開の地図・API・タイルには出ません。記録・調書・履歴は残り、職員は読んだり誤りを直したりできます。",
        "It and its sections, road-area lines and facilities are not on the public map, API or tiles. Its record, ledger sheets and history are kept; staff can read them and correct mistakes.",
    ),
    ("roadstaff.abolish_title", "路線の廃止", "Abolish the route"),
    (
        "roadstaff.abolish_lead",
        "廃止すると、この路線とその区間・区域線・施設は公開の地図・API・タイルから消えます。台帳の記録・調書・履歴は消えずに残ります。路線番号は、ほかの路線には使えなくなります。廃止の告示のあとに行ってください。",
        "Abolishing takes this route and its sections, road-area lines and facilities off the public map, API and tiles. The ledger record, sheets and history stay. The route number cannot be given to another route. Do this after the abolition is published (告示).",
    ),
    (
        "roadstaff.help_abolished_on",
        "例：2026-04-01（2026/4/1 や 20260401 でも入力できます）。認定年月日より前、今日より後の日付は入力できません。",
        "For example 2026-04-01 (2026/4/1 or 20260401 also work). Not before the certification date, not after today.",
    ),
    (
        "roadstaff.abolish_reason",
        "廃止の理由",
        "Reason for abolishing",
    ),
    (
        "roadstaff.help_abolish_reason",
        "告示番号と理由を書きます。例：令和8年市川市告示第12号（土地区画整理事業のため）",
        "The notice number and the reason, for example 令和8年市川市告示第12号 (land readjustment).",
    ),
    (
        "roadstaff.abolish_confirm",
        "公開の地図・APIから消えることを確かめました",
        "I understand that the route leaves the public map and API",
    ),
    (
        "roadstaff.abolish_submit",
        "この路線を廃止する",
        "Abolish this route",
    ),
    (
        "roadstaff.err_already_abolished",
        "この路線はすでに廃止されています。",
        "This route is already abolished.",
    ),
    (
        "roadstaff.err_abolish_before",
        "認定年月日より前の日付です。認定年月日以降の日付を入力してください。",
        "This is before the certification date. Enter a date on or after it.",
    ),
    (
        "roadstaff.err_abolish_future",
        "今日より後の日付です。廃止の日になってから登録してください。",
        "This date is after today. Register the abolition on or after its day.",
    ),
    (
        "roadstaff.err_abolish_reason",
        "廃止の理由を200文字以内で入力してください。",
        "Enter the reason, up to 200 characters.",
    ),
    (
        "roadstaff.err_abolish_confirm",
        "内容を確かめたら、チェックを入れてください。",
        "Tick the box once you have checked.",
    ),
    (
        "roadstaff.err_conflict_abolish",
        "このページを開いたあとで、ほかの人がこの路線を保存しました。最新の内容を確かめてから、もう一度廃止してください。",
        "Someone saved this route after you opened the page. Check the latest values, then abolish it again.",
    ),
    (
        "roadstaff.err_public_abolished",
        "廃止された路線は公開できません。チェックを外してください。",
        "An abolished route cannot be public. Untick the box.",
    ),
    (
        "roadstaff.coord_crs",
        "座標の入力方法",
        "How the coordinates are typed",
    ),
    (
        "roadstaff.crs_6677",
        "平面直角座標 第IX系（X, Y：メートル）",
        "Plane rectangular zone IX (X, Y in metres)",
    ),
    (
        "roadstaff.crs_6668",
        "緯度・経度（度、JGD2011）",
        "Latitude, longitude (degrees, JGD2011)",
    ),
    (
        "roadstaff.help_coord_crs",
        "起点・終点の座標をどちらで入力するかを選びます。保存すると第IX系（JGD2011）の X, Y で記録されます。",
        "Choose how you type the start and end points. They are stored as zone IX (JGD2011) X, Y.",
    ),
    (
        "roadstaff.start_coord",
        "起点の座標",
        "Start point coordinates",
    ),
    ("roadstaff.end_coord", "終点の座標", "End point coordinates"),
    (
        "roadstaff.help_coord",
        "第IX系は X（北）, Y（東）の順にコンマで区切ります。例：-9212.350, 21470.125。緯度・経度は 緯度, 経度 の順です。例：35.7213, 139.9310。わからないときは空欄のままにします。",
        "Zone IX: X (north), Y (east), separated by a comma, for example -9212.350, 21470.125. Latitude and longitude: latitude first, for example 35.7213, 139.9310. Leave empty when not known.",
    ),
    (
        "roadstaff.err_point_format",
        "2つの数を「X, Y」の順にコンマで区切って入力してください（例：-9212.350, 21470.125）。",
        "Enter two numbers, X then Y, separated by a comma (for example -9212.350, 21470.125).",
    ),
    (
        "roadstaff.err_point_format_deg",
        "2つの数を「緯度, 経度」の順にコンマで区切って入力してください（例：35.7213, 139.9310）。",
        "Enter two numbers, latitude then longitude, separated by a comma (for example 35.7213, 139.9310).",
    ),
    (
        "roadstaff.err_point_deg_range",
        "日本の緯度・経度になっていません。緯度（20〜46）, 経度（122〜154）の順に入力してください。",
        "This is not a latitude and longitude in Japan. Enter the latitude (20–46) first, then the longitude (122–154).",
    ),
    (
        "roadstaff.err_point_zone",
        "第IX系の範囲（原点から300 km以内）を外れています。X, Y の値と順番を確かめてください。緯度・経度のときは「座標の入力方法」で緯度・経度を選んでください。",
        "This is outside zone IX (more than 300 km from its origin). Check the values and their order. For a latitude and longitude, choose that under “How the coordinates are typed”.",
    ),
    (
        "roadstaff.err_point_zone_deg",
        "第IX系で表せる範囲（原点から300 km以内）の外です。位置を確かめてください。",
        "This point is outside what zone IX covers (300 km from its origin). Check the position.",
    ),
    ("roadstaff.list_abolished", "廃止", "Abolished"),
    (
        "roadstaff.err_point_looks_deg",
        "緯度・経度のようです。緯度・経度で入力するときは、「座標の入力方法」で緯度・経度を選んでください。",
        "This looks like a latitude and longitude. To type those, choose it under “How the coordinates are typed”.",
    ),
];
