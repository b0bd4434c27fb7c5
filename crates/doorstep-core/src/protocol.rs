//! What the app and the server say to each other over HTTP: the shapes of requests and answers.
//!
//! Both sides use these types, so they cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::record::{Answers, Millis};
use crate::validate::Issue;

/// The most records one upload may carry.
pub const MAX_BATCH_RECORDS: usize = 100;

/// The largest request body the server reads, in bytes.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// One completed record as sent to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// The record's id, made on the device.
    pub id: String,
    /// The form's id.
    pub form: String,
    /// The version of the form the record was made with.
    pub form_version: String,
    /// The record's revision.
    pub revision: u32,
    /// The SHA-256 of the answers as JSON ([`answers_hash`]), so the server can tell a record
    /// damaged on the way from the one the collector completed.
    pub hash: String,
    /// The answers.
    pub answers: Answers,
    /// When the record was started on the device.
    pub created_at: Millis,
    /// When it was last edited on the device.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Millis>,
    /// When it was completed on the device.
    #[serde(default)]
    pub completed_at: Option<Millis>,
    /// What the collector's app records besides answers: the roster subject, the method, the
    /// collector, how often it was opened, the position, the warnings confirmed.
    #[serde(default)]
    pub meta: crate::record::Metadata,
}

/// The content hash of answers: SHA-256, in lower-case hex, of their JSON with keys in order
/// (as `serde_json` writes an [`Answers`] map).
pub fn answers_hash(answers: &Answers) -> String {
    sha256_hex(&serde_json::to_vec(answers).unwrap_or_default())
}

/// SHA-256 of some bytes, in lower-case hex: the answers' content hash, and what the server
/// keeps of a sign-in token.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The body of `POST /api/v1/submissions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBatch {
    /// The records, at most [`MAX_BATCH_RECORDS`].
    pub records: Vec<Submission>,
}

/// What became of one record of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored.
    Accepted,
    /// Already stored with the same content: as good as accepted.
    Duplicate,
    /// A record with this id but other content is already stored.
    Conflict,
    /// Not stored: the checks found errors, or the form is unknown.
    Rejected,
    /// Not stored: the record names a village outside the collector's (HTTP 403 for this
    /// record alone).
    Forbidden,
}

impl Outcome {
    /// Whether the record can leave the device's outbox.
    pub fn is_delivered(self) -> bool {
        matches!(self, Outcome::Accepted | Outcome::Duplicate)
    }
}

/// The server's answer about one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionResult {
    /// The record's id.
    pub id: String,
    /// What became of it.
    pub outcome: Outcome,
    /// Why it was rejected: the same issues the app's own check reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub issues: Vec<Issue>,
}

/// The body of the answer to `POST /api/v1/submissions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionResponse {
    /// One result per record, in the order sent.
    pub results: Vec<SubmissionResult>,
}

/// The body of every error answer from the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// A machine-readable code and a human-readable message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable code, such as `malformed_json` or `body_too_large`.
    pub code: String,
    /// What went wrong and where.
    pub message: String,
}

/// One entry of `GET /api/v1/forms`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormSummary {
    /// The form's id.
    pub id: String,
    /// Its current version.
    pub version: String,
    /// Its title, in every language it has.
    pub title: crate::schema::Localized,
    /// Where its definition is served.
    pub url: String,
}

/// The body of `POST /api/v1/sessions`: a collector signs in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The collector's account name.
    pub name: String,
    /// The password.
    pub password: String,
}

/// The answer to a sign-in: a bearer token for the other requests, until it expires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Sent as `Authorization: Bearer TOKEN`.
    pub token: String,
    /// The collector's account name.
    pub collector: String,
    /// The 12-digit codes of the villages the collector works in.
    pub villages: Vec<String>,
    /// When the token stops working, in milliseconds since the epoch.
    pub expires_at: Millis,
}

/// A village a collector is assigned, with its names for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignedVillage {
    /// The 12-digit code.
    pub code: String,
    /// The village's name, when the area knows it.
    pub name: String,
    /// The town's name, when the area knows it.
    pub town: String,
}

/// One person of the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RosterPerson {
    /// The 20-character certificate number (残疾人证号).
    pub cert_no: String,
    /// The person's name.
    pub name: String,
    /// The 12-digit code of the person's village.
    pub region_code: String,
    /// Answers known beforehand, keyed by field id.
    #[serde(default, skip_serializing_if = "Answers::is_empty")]
    pub prefill: Answers,
}

/// The body of `GET /api/v1/assignments`: the collector's villages and the persons to visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignments {
    /// The collector's account name.
    pub collector: String,
    /// The villages, in code order.
    pub villages: Vec<AssignedVillage>,
    /// The roster's persons in those villages, by village and certificate number.
    pub persons: Vec<RosterPerson>,
}

/// A record the server holds about a person or a village of the collector's roster, whichever
/// device sent it: the roster shows the person as 已上传 on every device, so that a tablet that
/// was reset, or a second collector's tablet, does not visit them again as if no one had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveredRecord {
    /// The record's id: the device that holds this record knows it by its own copy.
    pub id: String,
    /// The form's id.
    pub form: String,
    /// The roster's key the record was started from: a certificate number, or a village code.
    pub subject: String,
    /// The collection method's code, for the count of home visits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// The collector who sent it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<String>,
}

/// The body of `GET /api/v1/delivered`: the records the server holds about the persons and
/// villages of the signed-in collector's roster, oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivered {
    /// The records.
    pub records: Vec<DeliveredRecord>,
}
