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
    /// The submit button.
    Submit,
    /// Heading of the error summary.
    FixErrors,
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
    /// Label of the town list of a region question.
    Town,
    /// The empty choice of the town list.
    ChooseTown,
    /// The empty choice of the village list.
    ChooseVillage,
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
            Text::Submit => ("提交", "Submit"),
            Text::FixErrors => ("请先修改以下问题：", "Please fix these first:"),
            Text::Required => ("必填", "required"),
            Text::RecordsOnDevice => ("本机记录", "Records on this device"),
            Text::StatusQueued => ("待上传（等待网络）", "Waiting for the network"),
            Text::StatusSent => ("已上传", "Sent"),
            Text::StatusDraft => ("草稿", "Draft"),
            Text::SubmittedWaiting => (
                "已提交，等待网络连接后自动上传",
                "Submitted: it will be uploaded when the network is back",
            ),
            Text::SubmittedSent => ("已提交并上传", "Submitted and uploaded"),
            Text::SwitchLanguage => ("切换语言", "Switch language"),
            Text::Returned => (
                "被退回，请修改后重新提交",
                "Returned: please fix and submit again",
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
                "此草稿已按新版表单打开，以下答案未能保留：",
                "This draft now uses the new version of the form; these answers did not carry over: ",
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
            Text::Town => ("乡镇（街道）", "Town or street"),
            Text::ChooseTown => ("请选择乡镇（街道）", "Choose the town"),
            Text::ChooseVillage => ("请选择村（社区）", "Choose the village"),
        };
        match locale {
            Locale::ZhCn => zh,
            Locale::En => en,
        }
    }
}
