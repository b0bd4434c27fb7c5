//! The app's own words in Chinese (the default) and English. Forms carry their own texts.

/// A language the interface can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// Simplified Chinese, the default.
    #[default]
    ZhCn,
    /// English.
    En,
}

impl Locale {
    /// The BCP 47 tag, as used by form texts and the `lang` attribute.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// The language a BCP 47 tag names, of the two the interface has.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        [Locale::ZhCn, Locale::En]
            .into_iter()
            .find(|locale| locale.tag() == tag)
    }

    /// The other language, for the switch button.
    pub fn other(self) -> Locale {
        match self {
            Locale::ZhCn => Locale::En,
            Locale::En => Locale::ZhCn,
        }
    }

    /// The language's name in itself, for the switch button.
    pub fn name(self) -> &'static str {
        match self {
            Locale::ZhCn => "中文",
            Locale::En => "English",
        }
    }
}

/// Every text the app shows that does not come from a form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The app's name.
    AppName,
    /// While the form loads.
    Loading,
    /// The form could not be loaded.
    FormFailed,
    /// The device storage could not be used.
    StorageFailed,
    /// Online indicator.
    Online,
    /// Offline indicator.
    Offline,
    /// Heading of the error summary.
    FixErrors,
    /// The error summary's title when only warnings to confirm stop the record.
    ConfirmFirst,
    /// Marks a required question.
    Required,
    /// Heading of the list of records on this device.
    RecordsOnDevice,
    /// A record waiting for the network.
    StatusQueued,
    /// A record the server has.
    StatusSent,
    /// A draft.
    StatusDraft,
    /// Shown after submitting.
    SubmittedWaiting,
    /// Shown after submitting when the upload succeeded.
    SubmittedSent,
    /// Label of the language switch.
    SwitchLanguage,
    /// A record the server returned.
    Returned,
    /// Adds an instance to a repeat group.
    AddInstance,
    /// Removes an instance from a repeat group.
    RemoveInstance,
    /// Names the record as a whole in the error summary.
    WholeRecord,
    /// Takes up a draft from the list.
    ContinueDraft,
    /// Names the list of forms in the header.
    Forms,
    /// Uploads in progress.
    Uploading,
    /// Between a question's label and what is said about it (a full-width colon in Chinese).
    LabelSeparator,
    /// Nothing left to upload.
    AllUploaded,
    /// Before the time of the last successful upload.
    LastUpload,
    /// The button that uploads at once.
    UploadNow,
    /// Uploads wait for a new sign-in.
    SignInAgain,
    /// Before the number of records the list does not show.
    MoreRecords,
    /// A draft was moved onto a newer version of its form; the lost answers follow.
    Migrated,
    /// The sign-in screen's title and button.
    SignIn,
    /// Explains the sign-in screen.
    SignInHint,
    /// Label of the account name.
    AccountName,
    /// Label of the password.
    Password,
    /// Signing in needs the network.
    SignInOffline,
    /// The name or password is wrong.
    SignInWrong,
    /// Another open copy of the app holds the device.
    HeldElsewhere,
    /// What to do about it.
    HeldElsewhereHint,
    /// Takes the device over from the other copy.
    UseHere,
    /// The server refuses sign-ins for a while (too many tries).
    SignInBusy,
    /// The server could not sign the collector in for a reason of its own.
    SignInServerError,
    /// Label of the town list of a region question.
    Town,
    /// The empty choice of the town list.
    ChooseTown,
    /// The empty entry of a drop-down list of options.
    Choose,
    /// The empty choice of the village list.
    ChooseVillage,
    /// A person not yet visited.
    NotStarted,
    /// A completed record not yet in the outbox.
    StatusCompleted,
    /// A record the server returned.
    StatusReturned,
    /// The roster screen's title.
    Roster,
    /// The count of persons done against assigned.
    DoneOfAssigned,
    /// The count of home visits against completed records.
    HomeVisits,
    /// The home-visit target.
    HomeVisitTarget,
    /// Marks a person added who is not on the roster.
    Unlisted,
    /// The roster's count of persons added at the door whose record is completed.
    UnlistedDone,
    /// Label of the roster's search box.
    Search,
    /// Placeholder of the roster's search box.
    SearchHint,
    /// Label of the village filter.
    Village,
    /// The village filter's choice of all.
    AllVillages,
    /// Label of the status filter.
    Status,
    /// The status filter's choice of all.
    AllStatuses,
    /// Starts a record for a person not on the roster.
    AddPerson,
    /// Before the number of persons the filters let through.
    Matching,
    /// Enter in the roster's search found nobody.
    NobodyFound,
    /// A person added at the door has the certificate number of a person of the roster.
    OnRoster,
    /// Opens that person's line of the roster.
    OpenOnRoster,
    /// 完成 was refused for such a person: why, and what to do.
    OnRosterRefused,
    /// Before the name of who sent a record the server holds from another device.
    DeliveredBy,
    /// The same, when the device's own record is completed too: a second record.
    AlsoDeliveredBy,
    /// The record in hand is completed, and the server holds another record of the same
    /// person or village; followed by who sent that one.
    DuplicateOnServer,
    /// Who sent it, when the server does not say.
    AnotherDevice,
    /// The record in hand is of a person or village the server already holds a record of,
    /// sent from elsewhere; followed by who sent it.
    DeliveredElsewhere,
    /// A record reopened with 修改 was left a draft.
    ReopenedDraft,
    /// A person added at the door is on the roster: the record became their line's.
    TakenOntoRoster,
    /// Shows more lines of the roster.
    ShowMore,
    /// Heading of the villages' community forms.
    VillageForms,
    /// Goes back to the roster.
    BackToRoster,
    /// Names the jump list of sections.
    Sections,
    /// The previous page.
    Previous,
    /// The next page.
    Next,
    /// Before the page number.
    Page,
    /// Before the count of questions answered.
    Answered,
    /// The button that completes a record.
    Complete,
    /// Heading of the warnings to confirm.
    WarningsTitle,
    /// Label of the box that confirms a warning.
    ConfirmWarning,
    /// Label of a warning's note.
    Note,
    /// Marks a warning not yet confirmed in the summary.
    Unconfirmed,
    /// Says a record in hand is completed.
    RecordDone,
    /// Says a record in hand has been sent.
    RecordSentView,
    /// Reopens a completed record.
    Edit,
    /// Takes up a completed record from the list, to view it (and edit it until it is sent).
    ViewRecord,
    /// Starts a new record of the form, putting the one in hand away.
    NewRecord,
    /// Says a record must be confirmed again after the reference date.
    Reconfirm,
    /// Says a record completed before the reference date waits to be re-confirmed now, and how.
    ReconfirmDue,
    /// Reopens a record that waits to be re-confirmed.
    ReconfirmNow,
    /// Says how many queued records wait for the collector who completed them to sign in.
    HeldForCollector,
    /// Asks, at 完成, whether a second record of a subject delivered from elsewhere is meant.
    SecondRecordAsk,
    /// Says a second record is meant, and completes it.
    SecondRecordMeant,
    /// Marks a roster line whose record waits to be re-confirmed, and the count and filter of
    /// those.
    ReconfirmWaiting,
    /// Before the storage the app uses.
    StorageUsed,
    /// Says the browser keeps the data.
    StoragePersistent,
    /// Storage is full.
    QuotaExceeded,
    /// Says the device's position was recorded.
    PositionRecorded,
    /// The keyboard shortcuts of the form.
    KeyboardHint,
    /// Says the record is saved on the device.
    Saved,
    /// The service window's title.
    WindowTitle,
    /// Explains the service window's search.
    WindowHint,
}

impl Text {
    /// The text in a language.
    pub fn get(self, locale: Locale) -> &'static str {
        let (zh, en) = match self {
            Text::AppName => ("入户登记", "doorstep"),
            Text::Loading => ("正在加载表单…", "Loading the form…"),
            Text::FormFailed => ("表单无法加载", "The form cannot be loaded"),
            Text::StorageFailed => ("本机存储不可用", "Device storage is unavailable"),
            Text::Online => ("在线", "Online"),
            Text::Offline => ("离线", "Offline"),
            Text::LabelSeparator => ("：", ": "),
            Text::FixErrors => ("请先修改以下问题：", "Please fix these first:"),
            Text::ConfirmFirst => ("请先逐条核实以下提示：", "Please confirm these warnings first:"),
            Text::Required => ("必填", "required"),
            Text::RecordsOnDevice => ("本机记录", "Records on this device"),
            Text::StatusQueued => ("待上传", "Waiting to upload"),
            Text::StatusSent => ("已上传", "Sent"),
            Text::StatusDraft => ("草稿", "Draft"),
            Text::SubmittedWaiting => (
                "已完成，等待网络连接后自动上传",
                "Completed: it will be uploaded when the network is back",
            ),
            Text::SubmittedSent => ("已完成并上传", "Completed and uploaded"),
            Text::SwitchLanguage => ("切换语言", "Switch language"),
            Text::Returned => (
                "有记录被退回，请修改后重新完成",
                "A record was returned: please fix it and complete it again",
            ),
            Text::AddInstance => ("添加", "Add"),
            Text::RemoveInstance => ("删除", "Remove"),
            Text::WholeRecord => ("本条记录", "This record"),
            Text::ContinueDraft => ("继续填写", "Continue"),
            Text::Forms => ("表单", "Forms"),
            Text::Uploading => ("正在上传", "Uploading"),
            Text::AllUploaded => ("全部已上传", "Everything is uploaded"),
            Text::LastUpload => ("上次上传", "Last upload"),
            Text::UploadNow => ("立即上传", "Upload now"),
            Text::SignInAgain => (
                "请重新登录后继续上传",
                "Sign in again to continue uploading",
            ),
            Text::MoreRecords => ("更早的记录未列出：", "Older records not listed:"),
            Text::Migrated => (
                "此草稿已按新版表单打开。",
                "This draft now uses the new version of the form.",
            ),
            Text::SignIn => ("登录", "Sign in"),
            Text::SignInHint => (
                "首次登录需要网络；登录后可离线使用。",
                "The first sign-in needs the network; afterwards the app works offline.",
            ),
            Text::AccountName => ("账号", "Account name"),
            Text::Password => ("密码", "Password"),
            Text::SignInOffline => (
                "无法连接服务器，请联网后再登录",
                "The server cannot be reached: connect to the network and sign in again",
            ),
            Text::SignInWrong => (
                "账号或密码错误",
                "The account name or the password is wrong",
            ),
            Text::HeldElsewhere => (
                "入户登记已在另一个窗口中打开",
                "doorstep is open in another window",
            ),
            Text::HeldElsewhereHint => (
                "同一时间只能在一个窗口中填写，以免记录互相覆盖。关闭另一个窗口后，这里会自动继续；也可以改在这里使用，另一个窗口会停下等待。",
                "Records are filled in one window at a time, so that neither overwrites the other. Close the other window and this one goes on by itself; or use this one, and the other stops to wait.",
            ),
            Text::UseHere => ("在此窗口中使用", "Use this window"),
            Text::SignInBusy => (
                "登录尝试过多，请稍后再试",
                "Too many sign-in attempts: try again in a while",
            ),
            Text::SignInServerError => (
                "暂时无法登录，请稍后再试；如仍不行，请联系管理员",
                "The server cannot sign you in just now: try again later, or tell your administrator",
            ),
            Text::Town => ("乡镇（街道）", "Town or street"),
            Text::ChooseTown => ("请选择乡镇（街道）", "Choose the town"),
            Text::Choose => ("请选择", "Choose"),
            Text::ChooseVillage => ("请选择村（社区）", "Choose the village"),
            Text::NotStarted => ("未开始", "Not started"),
            Text::StatusCompleted => ("已完成", "Completed"),
            Text::StatusReturned => ("被退回", "Returned"),
            Text::Roster => ("调查名册", "Roster"),
            Text::DoneOfAssigned => ("已完成 / 应调查", "Done / assigned"),
            Text::HomeVisits => ("入户 / 已完成（含名册外）", "Home visits / completed (with those added)"),
            Text::HomeVisitTarget => ("入户调查比例应不低于 90%。", "At least 90% of persons should be visited at home."),
            Text::Unlisted => ("名册外", "Not on the roster"),
            Text::UnlistedDone => ("名册外已完成", "Added, completed"),
            Text::Search => ("搜索", "Search"),
            Text::SearchHint => ("姓名或残疾人证号", "Name or certificate number"),
            Text::Village => ("村（社区）", "Village"),
            Text::AllVillages => ("全部村（社区）", "All villages"),
            Text::Status => ("状态", "Status"),
            Text::AllStatuses => ("全部状态", "All statuses"),
            Text::AddPerson => ("添加名册外人员", "Add a person not on the roster"),
            Text::Matching => ("符合条件：", "Matching:"),
            Text::OnRoster => (
                "名册中已有此人，请从名册打开此人，不要另行添加",
                "This person is on the roster: open them from the roster rather than adding them",
            ),
            Text::ReopenedDraft => (
                "修改后的记录现为草稿，再次完成后才会上传",
                "The record you changed is a draft again: it is uploaded only once completed again",
            ),
            Text::OpenOnRoster => ("打开名册中的此人", "Open this person from the roster"),
            Text::TakenOntoRoster => (
                "此人在名册中：本记录已转为名册中此人的记录，已填写的内容均保留",
                "This person is on the roster: this record is now their line's record, with everything typed kept",
            ),
            Text::OnRosterRefused => (
                "本记录未完成：名册中的人员须从名册中登记，否则会被重复统计、其名册记录仍显示未走访。",
                "This record is not completed: a person on the roster is recorded through the roster, or they would be counted twice and their line would still show as not visited.",
            ),
            Text::DeliveredBy => ("上传人", "Sent by"),
            Text::AlsoDeliveredBy => ("另有一份记录，上传人", "Another record, sent by"),
            Text::DuplicateOnServer => (
                "服务器上另有一份此人（或此村）的记录，与本记录重复，请与乡镇（街道）核实。另一份的上传人",
                "The server holds another record of this person (or village), a duplicate of this one: settle it with the town. The other was sent by",
            ),
            Text::AnotherDevice => ("其他设备", "another device"),
            Text::DeliveredElsewhere => (
                "服务器已收到此人（或此村）的一份记录，再次登记将产生重复记录。上传人",
                "The server already holds a record of this person (or village): registering again makes a duplicate. Sent by",
            ),
            Text::NobodyFound => (
                "名册中没有找到此人。请核对姓名或证号，或添加名册外人员。",
                "Nobody on the roster matches. Check the name or number, or add a person not on the roster.",
            ),
            Text::ShowMore => ("显示更多", "Show more"),
            Text::VillageForms => ("社区登记表", "Community forms"),
            Text::BackToRoster => ("返回名册", "Back to the roster"),
            Text::Sections => ("章节", "Sections"),
            Text::Previous => ("上一页", "Previous"),
            Text::Next => ("下一页", "Next"),
            Text::Page => ("第", "Page"),
            Text::Answered => ("已答", "Answered"),
            Text::Complete => ("完成", "Complete"),
            Text::WarningsTitle => ("请逐条核实以下提示：", "Please confirm each of these warnings:"),
            Text::ConfirmWarning => ("已核实无误", "Checked and correct"),
            Text::Note => ("说明（可选）", "Note (optional)"),
            Text::Unconfirmed => ("待核实", "To confirm"),
            Text::RecordDone => ("此记录已完成。发送前仍可修改。", "This record is completed. It can still be edited until it is sent."),
            Text::RecordSentView => ("此记录已上传，不能再修改。", "This record has been sent and can no longer be edited."),
            Text::Edit => ("修改", "Edit"),
            Text::ViewRecord => ("查看", "View"),
            Text::NewRecord => ("新建记录", "New record"),
            Text::Reconfirm => ("需在标准时点后重新确认", "Must be re-confirmed after the reference date"),
            Text::ReconfirmDue => ("此记录在标准时点前采集，现须重新确认：逐项核实在标准时点是否仍然属实，更正有变化的答案，再次完成。", "This record was collected before the reference date and must now be re-confirmed: check that each answer holds as of the reference date, correct what changed, and complete it again."),
            Text::ReconfirmNow => ("重新确认", "Re-confirm"),
            Text::HeldForCollector => ("其他采集员的记录，待其本人登录后上传", "Records of another collector, uploaded once they sign in"),
            Text::SecondRecordAsk => ("本记录尚未完成。确需为此人（或此村）再登记一份记录（例如已上传的那份有误，并已告知乡镇）时，才完成本记录。", "This record is not completed yet. Complete it only if a second record of this person (or village) is really needed, for instance because the one sent is wrong and the town has been told."),
            Text::SecondRecordMeant => ("确需再登记，完成", "A second record is needed: complete"),
            Text::ReconfirmWaiting => ("待重新确认", "To re-confirm"),
            Text::StorageUsed => ("本机存储已用", "Device storage used"),
            Text::StoragePersistent => ("（已设为持久保存）", "(kept persistently)"),
            Text::QuotaExceeded => ("本机存储拒绝写入（通常是空间已满），最新的修改未能保存；已保存的记录不受影响，修改仍在屏幕上，下一次修改时会再保存。请清理设备空间（例如不需要的照片、视频或其他应用的数据）。", "Device storage refused the write (usually because it is full): the latest change could not be saved. Records already saved are safe, the change is still on screen, and it is saved again with the next change. Free space on the device (photos, videos or other apps' data you no longer need)."),
            Text::KeyboardHint => ("键盘操作：Enter 下一项 · 数字键按代码选择选项 · PageDown/PageUp 翻页 · Ctrl+S 保存 · Ctrl+Enter 完成", "Keyboard: Enter next question · digits choose an option by its code · PageDown/PageUp turn pages · Ctrl+S save · Ctrl+Enter complete"),
            Text::Saved => ("已保存到本机", "Saved on this device"),
            Text::WindowTitle => ("窗口服务", "Service window"),
            Text::WindowHint => ("输入残疾人证号或姓名，按 Enter 打开第一个匹配的人员；名册外人员请用「添加名册外人员」。", "Type a certificate number or a name and press Enter to open the first match; for a person not on the roster use “Add a person not on the roster”."),
            Text::PositionRecorded => ("已记录位置", "Position recorded"),
        };
        match locale {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }
}

/// What the collector is told when a draft moved onto a newer version of its form: the
/// questions still asked whose answers did not carry over (to ask again), by label, and how
/// many answers went with questions the new version no longer asks (their labels went with the
/// old version, and nothing needs doing about them).
pub fn not_carried(locale: Locale, labels: &[&str], no_longer_asked: usize) -> String {
    let mut text = Text::Migrated.get(locale).to_string();
    match locale {
        Locale::ZhCn => {
            if !labels.is_empty() {
                text.push_str(&format!(
                    "以下答案未能保留，请重新询问：{}。",
                    labels.join("、")
                ));
            }
            if no_longer_asked > 0 {
                text.push_str(&format!(
                    "新版不再询问的 {no_longer_asked} 个问题的答案已移除。"
                ));
            }
        }
        Locale::En => {
            if !labels.is_empty() {
                text.push_str(&format!(
                    " These answers did not carry over; ask again: {}.",
                    labels.join(", ")
                ));
            }
            if no_longer_asked > 0 {
                text.push_str(&if no_longer_asked == 1 {
                    " 1 answer to a question the new version no longer asks was removed.".to_string()
                } else {
                    format!(" {no_longer_asked} answers to questions the new version no longer asks were removed.")
                });
            }
        }
    }
    text
}

/// Why a record does not open: it was made with a newer version of its form than the device
/// has now.
pub fn needs_newer_form(locale: Locale, version: &str) -> String {
    match locale {
        Locale::ZhCn => format!(
            "此记录是用较新版本（{version}）的表单填写的，本机现有的表单较旧。记录已原样保留，请联网后重新打开应用再试。"
        ),
        Locale::En => format!(
            "This record was made with a newer version ({version}) of its form than this device has now. It is kept as it is: connect to the network, start the app again and open it then."
        ),
    }
}

/// A page's count of errors in the list of pages, in words: a number in brackets alone says
/// nothing to a screen reader, and its colour nothing to a collector who cannot tell it.
pub fn error_count(locale: Locale, errors: usize) -> String {
    match locale {
        Locale::ZhCn => format!("（{errors} 处错误）"),
        Locale::En if errors == 1 => " (1 error)".to_string(),
        Locale::En => format!(" ({errors} errors)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_count_is_in_words() {
        assert_eq!(error_count(Locale::ZhCn, 2), "（2 处错误）");
        assert_eq!(error_count(Locale::En, 1), " (1 error)");
        assert_eq!(error_count(Locale::En, 3), " (3 errors)");
    }

    #[test]
    fn answers_lost_name_the_questions_still_asked_and_count_the_others() {
        assert_eq!(
            not_carried(Locale::ZhCn, &["民族", "手机号码"], 2),
            "此草稿已按新版表单打开。以下答案未能保留，请重新询问：民族、手机号码。新版不再询问的 2 个问题的答案已移除。"
        );
        assert_eq!(
            not_carried(Locale::En, &[], 1),
            "This draft now uses the new version of the form. 1 answer to a question the new version no longer asks was removed."
        );
    }
}
