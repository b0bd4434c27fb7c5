//! The roster screen's arithmetic, pure: each person's and village's status from the records
//! on the device and those the server holds from elsewhere, the search and filters, and the
//! counts (done against assigned, home visits against all). Native tests cover it; the
//! component only draws what this returns.

use std::collections::HashMap;

use doorstep_core::protocol::{DeliveredRecord, RosterPerson};
use doorstep_core::schema::RecordDefinition;
use doorstep_core::{Record, Status};
use jiff::civil::Date;

/// Where a person or a village stands, as the roster shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Progress {
    /// No record yet, or one nothing was typed into (未开始).
    NotStarted,
    /// A draft (草稿).
    Draft,
    /// Completed, not yet in the outbox (已完成).
    Completed,
    /// In the outbox (待上传).
    Queued,
    /// The server has it (已上传).
    Sent,
    /// The server returned it; a draft with messages of the server's not yet acted on (被退回).
    /// Once every answer they were about has changed, it is a 草稿 to complete again.
    Returned,
}

impl Progress {
    /// Every status, in the order the filter lists them.
    pub const ALL: [Progress; 6] = [
        Progress::NotStarted,
        Progress::Draft,
        Progress::Completed,
        Progress::Queued,
        Progress::Sent,
        Progress::Returned,
    ];

    /// A record's status as the roster shows it.
    pub fn of(record: &Record) -> Progress {
        match record.status {
            Status::Draft if !record.returned.is_empty() => Progress::Returned,
            Status::Draft if record.revision == 0 => Progress::NotStarted,
            Status::Draft => Progress::Draft,
            Status::Completed => Progress::Completed,
            Status::Queued => Progress::Queued,
            Status::Sent => Progress::Sent,
        }
    }

    /// Whether the visit is done: the record is completed, whatever became of it since.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            Progress::Completed | Progress::Queued | Progress::Sent
        )
    }

    /// A stable name, for CSS classes and test hooks.
    pub fn slug(self) -> &'static str {
        match self {
            Progress::NotStarted => "not-started",
            Progress::Draft => "draft",
            Progress::Completed => "completed",
            Progress::Queued => "queued",
            Progress::Sent => "sent",
            Progress::Returned => "returned",
        }
    }
}

/// The newest record of each subject (a person's key or a village code) of one form.
pub fn latest_by_subject<'a>(
    records: impl IntoIterator<Item = &'a Record>,
    form_id: &str,
) -> HashMap<&'a str, &'a Record> {
    let mut latest: HashMap<&str, &Record> = HashMap::new();
    for record in records {
        if record.form_id != form_id {
            continue;
        }
        if let Some(subject) = record.meta.subject.as_deref() {
            let newer = latest.get(subject).is_none_or(|r| r.id < record.id);
            if newer {
                latest.insert(subject, record);
            }
        }
    }
    latest
}

/// The records the server holds about each subject of one form, from any device, oldest first.
pub fn delivered_by_subject<'a>(
    delivered: &'a [DeliveredRecord],
    form_id: &str,
) -> HashMap<&'a str, Vec<&'a DeliveredRecord>> {
    let mut by_subject: HashMap<&str, Vec<&DeliveredRecord>> = HashMap::new();
    for record in delivered.iter().filter(|d| d.form == form_id) {
        by_subject
            .entry(record.subject.as_str())
            .or_default()
            .push(record);
    }
    by_subject
}

/// The records the server holds about one subject (a person's key or a village code) of one
/// form, from any device, oldest first.
pub fn delivered_about<'a>(
    delivered: &'a [DeliveredRecord],
    form_id: &'a str,
    subject: &'a str,
) -> impl Iterator<Item = &'a DeliveredRecord> {
    delivered
        .iter()
        .filter(move |d| d.form == form_id && d.subject == subject)
}

/// A record of a roster line that the server holds and the device does not: sent from another
/// tablet, or from this one before it was reset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Elsewhere {
    /// Who sent it (empty when the server does not say).
    pub by: String,
    /// Whether the device's own record of the line is completed too: the two are duplicates.
    pub duplicate: bool,
}

/// The newest of the records the server holds about a subject (`delivered`, oldest first) that
/// is not the device's own newest record of it (`local`), if any.
pub fn elsewhere(local: Option<&Record>, delivered: &[&DeliveredRecord]) -> Option<Elsewhere> {
    let other = delivered
        .iter()
        .rev()
        .find(|d| local.is_none_or(|r| r.id != d.id))?;
    Some(Elsewhere {
        by: other.collector.clone().unwrap_or_default(),
        duplicate: local.is_some_and(|r| Progress::of(r).is_done()),
    })
}

/// Where a subject of the roster stands, from its newest record on the device (`local`) and the
/// records the server holds about it (`delivered`, oldest first), with the record from
/// elsewhere ([`elsewhere`]). Visited from elsewhere, a subject the device has no record of, or
/// only a draft (perhaps one nothing was typed into), is 已上传: the visit is done, and the
/// draft stays on the device, not uploaded unless completed, which would make a second record.
/// A record of the device's own that is completed, or was returned, keeps its status.
pub fn standing(
    local: Option<&Record>,
    delivered: &[&DeliveredRecord],
) -> (Progress, Option<Elsewhere>) {
    let own = local.map_or(Progress::NotStarted, Progress::of);
    let elsewhere = elsewhere(local, delivered);
    let progress = match own {
        Progress::NotStarted | Progress::Draft if elsewhere.is_some() => Progress::Sent,
        own => own,
    };
    (progress, elsewhere)
}

/// One line of the roster: a person of the roster, or one added at the door.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The certificate number, when known.
    pub cert_no: String,
    /// The name, when known.
    pub name: String,
    /// The village code, when known.
    pub region_code: String,
    /// Where the person stands.
    pub progress: Progress,
    /// The record's id, when there is one.
    pub record: Option<String>,
    /// Whether the person was added at the door (名册外).
    pub unlisted: bool,
    /// Whether the record's method is a home visit.
    pub home_visit: bool,
    /// Whether the device's record waits to be re-confirmed: completed before the reference
    /// date, which has come (`Record::awaits_reconfirmation`).
    pub reconfirm: bool,
    /// A record of this person that the server holds and the device does not, if any.
    pub elsewhere: Option<Elsewhere>,
    /// The person of the roster, to start their record.
    pub person: Option<RosterPerson>,
}

/// Every line of the roster for a person form: the roster's persons in order, then the persons
/// added at the door, newest first.
pub fn lines(
    roster: &[RosterPerson],
    records: &[&Record],
    delivered: &[DeliveredRecord],
    form_id: &str,
    definition: &RecordDefinition,
    today: Option<Date>,
) -> Vec<Line> {
    let latest = latest_by_subject(records.iter().copied(), form_id);
    let on_server = delivered_by_subject(delivered, form_id);
    let text = |record: &Record, field: &Option<String>| {
        field
            .as_ref()
            .and_then(|f| record.answers.get(f))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let home_visit = |record: &Record| {
        let method = record.meta.method.clone().or_else(|| {
            let answer = text(record, &definition.method);
            (!answer.is_empty()).then_some(answer)
        });
        method.is_some_and(|m| definition.is_home_visit(&m))
    };
    let mut out: Vec<Line> = roster
        .iter()
        .map(|person| {
            let record = latest.get(person.cert_no.as_str()).copied();
            let delivered = on_server
                .get(person.cert_no.as_str())
                .map_or(&[][..], Vec::as_slice);
            let (progress, elsewhere) = standing(record, delivered);
            // A visit done by the device's own record counts by its method; one done elsewhere
            // by the method of the server's newest record.
            let home_visit = match record.filter(|r| Progress::of(r).is_done()) {
                Some(record) => home_visit(record),
                None => delivered
                    .last()
                    .and_then(|d| d.method.as_deref())
                    .is_some_and(|m| definition.is_home_visit(m)),
            };
            Line {
                cert_no: person.cert_no.clone(),
                name: person.name.clone(),
                region_code: person.region_code.clone(),
                progress,
                record: record.map(|r| r.id.clone()),
                unlisted: false,
                home_visit,
                reconfirm: record.is_some_and(|r| r.awaits_reconfirmation(definition, today)),
                elsewhere,
                person: Some(person.clone()),
            }
        })
        .collect();
    let mut added: Vec<&Record> = records
        .iter()
        .copied()
        .filter(|r| r.form_id == form_id && r.meta.off_roster)
        .collect();
    added.sort_by(|a, b| b.id.cmp(&a.id));
    out.extend(added.into_iter().map(|record| Line {
        cert_no: text(record, &definition.key),
        name: text(record, &definition.title),
        region_code: text(record, &Some(definition.region.clone())),
        progress: Progress::of(record),
        record: Some(record.id.clone()),
        unlisted: true,
        home_visit: home_visit(record),
        reconfirm: record.awaits_reconfirmation(definition, today),
        elsewhere: None,
        person: None,
    }));
    out
}

/// What the collector narrows the roster to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Part of a name or of a certificate number; empty for all.
    pub search: String,
    /// One village's code; empty for all.
    pub village: String,
    /// One status; `None` for all.
    pub progress: Option<Progress>,
    /// Only the records that wait to be re-confirmed.
    pub reconfirm: bool,
}

impl Filter {
    /// The lines that pass, in order. Certificate numbers match without regard to the case of
    /// their X, and no line's text is copied to compare it. With the person form's record
    /// block, a whole number typed also finds the person it names by the form's `key_prefix`
    /// ([`RecordDefinition::same_person`]): a number reissued since the roster was made finds
    /// its line.
    pub fn apply<'a>(&self, lines: &'a [Line], person: Option<&RecordDefinition>) -> Vec<&'a Line> {
        let search = self.search.trim();
        // Only a search as long as the prefix can name a person by it: a name, or part of a
        // number, costs no comparison per line.
        let by_prefix =
            person.filter(|d| d.key_prefix.is_some_and(|n| search.chars().count() >= n));
        let cert_matches = |cert: &str| {
            cert.as_bytes()
                .windows(search.len())
                .any(|w| w.eq_ignore_ascii_case(search.as_bytes()))
                || by_prefix.is_some_and(|d| d.same_person(cert, search))
        };
        lines
            .iter()
            .filter(|line| {
                (search.is_empty() || line.name.contains(search) || cert_matches(&line.cert_no))
                    && (self.village.is_empty() || line.region_code == self.village)
                    && self.admits_status(line.progress, line.reconfirm)
            })
            .collect()
    }

    /// Whether a village's community form passes: the village chosen, its town's or its own
    /// name or its code holding the search, its status, and whether it waits to be
    /// re-confirmed.
    pub fn admits_village(
        &self,
        code: &str,
        name: &str,
        town: &str,
        progress: Progress,
        reconfirm: bool,
    ) -> bool {
        let search = self.search.trim();
        (search.is_empty()
            || name.contains(search)
            || town.contains(search)
            || code.contains(search))
            && (self.village.is_empty() || code == self.village)
            && self.admits_status(progress, reconfirm)
    }

    /// Whether a status passes the status filter (one status, or the records that wait to be
    /// re-confirmed).
    fn admits_status(&self, progress: Progress, reconfirm: bool) -> bool {
        self.progress.is_none_or(|p| progress == p) && (!self.reconfirm || reconfirm)
    }
}

/// The counts above the roster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Persons on the roster.
    pub assigned: usize,
    /// Of those, persons whose record is completed.
    pub done: usize,
    /// Persons added at the door whose record is completed; a draft of one added may yet turn
    /// out to be someone on the roster.
    pub unlisted: usize,
    /// Completed records, of the roster and added.
    pub completed: usize,
    /// Of those, home visits.
    pub home_visits: usize,
    /// Records that wait to be re-confirmed.
    pub reconfirm: usize,
}

impl Counts {
    /// Counts the lines.
    pub fn of(lines: &[Line]) -> Counts {
        let mut counts = Counts::default();
        for line in lines {
            if line.unlisted {
                counts.unlisted += usize::from(line.progress.is_done());
            } else {
                counts.assigned += 1;
                counts.done += usize::from(line.progress.is_done());
            }
            counts.reconfirm += usize::from(line.reconfirm);
            if line.progress.is_done() {
                counts.completed += 1;
                counts.home_visits += usize::from(line.home_visit);
            }
        }
        counts
    }

    /// The share of home visits among completed records, in percent (0 when none).
    pub fn home_visit_percent(&self) -> f64 {
        if self.completed == 0 {
            0.0
        } else {
            self.home_visits as f64 * 100.0 / self.completed as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorstep_core::Form;
    use serde_json::json;

    fn form() -> Form {
        Form::from_json(include_str!("../schemas/individual.json")).expect("individual form")
    }

    /// The individual form's record block, its key compared whole (no `key_prefix`).
    fn definition() -> RecordDefinition {
        RecordDefinition {
            key_prefix: None,
            ..form().def.record.clone().expect("record block")
        }
    }

    fn person(cert: &str, name: &str, village: &str) -> RosterPerson {
        RosterPerson {
            cert_no: cert.into(),
            name: name.into(),
            region_code: village.into(),
            prefill: Default::default(),
        }
    }

    fn record(id: &str, subject: Option<&str>, status: Status, method: &str) -> Record {
        let mut record = Record::new(id.into(), &form(), 1);
        record.meta.subject = subject.map(str::to_string);
        record.meta.off_roster = subject.is_none();
        record.status = status;
        record.revision = 1;
        record.answers.insert("method".into(), json!(method));
        record.answers.insert("name".into(), json!("门口加的"));
        record
    }

    fn delivered(id: &str, form: &str, subject: &str, method: &str) -> DeliveredRecord {
        DeliveredRecord {
            id: id.into(),
            form: form.into(),
            subject: subject.into(),
            method: Some(method.into()),
            collector: Some("赵七".into()),
        }
    }

    #[test]
    fn records_the_server_holds_from_elsewhere_show_and_count_as_uploaded() {
        let form = form();
        let definition = form.def.record.clone().expect("record block");
        let roster = vec![
            person("A1", "张三", "330110005001"),
            person("B2", "李四", "330110005001"),
            person("C3", "王五", "330110005002"),
            person("D4", "赵六", "330110005002"),
            person("E5", "钱八", "330110005002"),
            person("F6", "孙九", "330110005002"),
        ];
        let mut untouched = record("c3", Some("C3"), Status::Draft, "2");
        untouched.revision = 0;
        let records = [
            record("a1", Some("A1"), Status::Sent, "1"),
            record("b2", Some("B2"), Status::Draft, "1"),
            untouched,
            record("f6", Some("F6"), Status::Sent, "1"),
        ];
        let refs: Vec<&Record> = records.iter().collect();
        let held = [
            // The device's own record, as the server holds it: nothing from elsewhere.
            delivered("a1", "individual", "A1", "1"),
            // F6's own record, and an older one from another tablet: a second record.
            delivered("x7", "individual", "F6", "1"),
            delivered("f6", "individual", "F6", "1"),
            // Sent from another tablet while this one holds a draft (by phone, "2").
            delivered("x2", "individual", "B2", "2"),
            // Sent from another tablet: this one opened the person and typed nothing.
            delivered("x3", "individual", "C3", "1"),
            // Two from elsewhere: the newer one (listed last) counts, by phone.
            delivered("x4", "individual", "D4", "1"),
            delivered("x5", "individual", "D4", "2"),
            // Another form's record of E5 says nothing about this form.
            delivered("x6", "other", "E5", "1"),
        ];
        let lines = lines(&roster, &refs, &held, "individual", &definition, None);
        type Seen<'a> = (Progress, Option<(&'a str, bool)>, bool);
        let seen: Vec<Seen> = lines
            .iter()
            .map(|l| {
                let elsewhere = l.elsewhere.as_ref().map(|e| (e.by.as_str(), e.duplicate));
                (l.progress, elsewhere, l.home_visit)
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (Progress::Sent, None, true),
                // The draft stays on the device; the visit is done, by the server's method.
                (Progress::Sent, Some(("赵七", false)), false),
                (Progress::Sent, Some(("赵七", false)), true),
                (Progress::Sent, Some(("赵七", false)), false),
                (Progress::NotStarted, None, false),
                // Two records of F6 on the server: a duplicate.
                (Progress::Sent, Some(("赵七", true)), true),
            ]
        );
        // The device's own records stay the ones opened.
        assert_eq!(lines[1].record.as_deref(), Some("b2"));
        let counts = Counts::of(&lines);
        assert_eq!((counts.assigned, counts.done), (6, 5));
        assert_eq!((counts.completed, counts.home_visits), (5, 3));
    }

    #[test]
    fn a_search_by_a_reissued_number_finds_the_persons_line() {
        let roster = [
            person("33011019800101001X11", "张三", "330110005001"),
            person("33011019800101002X12", "李四", "330110005001"),
        ];
        let whole = definition();
        let by_id = RecordDefinition {
            key_prefix: Some(18),
            ..definition()
        };
        let lines = lines(&roster, &[], &[], "person", &whole, None);
        let found = |search: &str, person: &RecordDefinition| -> Vec<String> {
            Filter {
                search: search.into(),
                ..Filter::default()
            }
            .apply(&lines, Some(person))
            .into_iter()
            .map(|l| l.name.clone())
            .collect()
        };
        assert_eq!(found("33011019800101001x42", &by_id), ["张三"]);
        assert_eq!(found("33011019800101001x42", &whole), Vec::<String>::new());
        // Shorter than the prefix, a search is a part of a number as before.
        assert_eq!(found("0101002", &by_id), ["李四"]);
    }

    #[test]
    fn the_filters_narrow_the_community_forms_too() {
        let all = Filter::default();
        assert!(all.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::NotStarted,
            false
        ));
        let one = Filter {
            village: "330110005002".into(),
            ..Filter::default()
        };
        assert!(!one.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::NotStarted,
            false
        ));
        assert!(one.admits_village(
            "330110005002",
            "沿山河社区",
            "五常街道",
            Progress::NotStarted,
            false
        ));
        let named = Filter {
            search: " 顾家 ".into(),
            ..Filter::default()
        };
        assert!(named.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::Draft,
            false
        ));
        assert!(!named.admits_village(
            "330110005002",
            "沿山河社区",
            "五常街道",
            Progress::Draft,
            false
        ));
        let drafts = Filter {
            progress: Some(Progress::Draft),
            ..Filter::default()
        };
        assert!(drafts.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::Draft,
            false
        ));
        assert!(!drafts.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::Sent,
            false
        ));
        let waiting = Filter {
            reconfirm: true,
            ..Filter::default()
        };
        assert!(waiting.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::Sent,
            true
        ));
        assert!(!waiting.admits_village(
            "330110005001",
            "顾家桥社区",
            "五常街道",
            Progress::Sent,
            false
        ));
    }

    #[test]
    fn statuses_counts_and_filters() {
        let form = form();
        let definition = form.def.record.clone().expect("record block");
        let roster = vec![
            person("A1", "张三", "330110005001"),
            person("B2", "李四", "330110005001"),
            person("C3", "王五", "330110005002"),
            person("D4", "赵六", "330110005002"),
        ];
        let mut returned = record("r3", Some("C3"), Status::Draft, "1");
        returned.returned = vec![doorstep_core::Issue {
            field: "name".into(),
            severity: doorstep_core::Severity::Error,
            code: "x".into(),
            message: doorstep_core::Localized::zh_en("错", "wrong"),
        }];
        let mut untouched = record("r4", Some("D4"), Status::Draft, "1");
        untouched.revision = 0;
        // Completed before the reference date: it waits to be re-confirmed from that date on.
        let mut early = record("r2", Some("B2"), Status::Sent, "2");
        early.meta.reconfirm = true;
        early.answers.insert("ref_date".into(), json!("2026-09-30"));
        let records = [
            record("r1a", Some("A1"), Status::Draft, "1"),
            // The newer record of A1 is the one that counts.
            record("r1b", Some("A1"), Status::Queued, "1"),
            early,
            returned,
            untouched,
            record("r5", None, Status::Completed, "1"),
            // Added at the door, not completed: not counted among those added yet.
            record("r6", None, Status::Draft, "1"),
        ];
        let refs: Vec<&Record> = records.iter().collect();
        let before = lines(
            &roster,
            &refs,
            &[],
            "individual",
            &definition,
            doorstep_core::expr::parse_date("2026-09-29"),
        );
        assert!(before.iter().all(|l| !l.reconfirm));
        let lines = lines(
            &roster,
            &refs,
            &[],
            "individual",
            &definition,
            doorstep_core::expr::parse_date("2026-10-08"),
        );
        let waiting: Vec<bool> = lines.iter().map(|l| l.reconfirm).collect();
        assert_eq!(waiting, [false, true, false, false, false, false]);
        let progress: Vec<Progress> = lines.iter().map(|l| l.progress).collect();
        assert_eq!(
            progress,
            vec![
                Progress::Queued,
                Progress::Sent,
                Progress::Returned,
                Progress::NotStarted,
                Progress::Draft,
                Progress::Completed
            ]
        );
        assert_eq!(lines[0].record.as_deref(), Some("r1b"));
        assert!(lines[4].unlisted);
        assert_eq!(lines[4].name, "门口加的");
        let counts = Counts::of(&lines);
        assert_eq!(
            counts,
            Counts {
                assigned: 4,
                done: 2,
                unlisted: 1,
                completed: 3,
                home_visits: 2,
                reconfirm: 1
            }
        );
        assert!((counts.home_visit_percent() - 66.666).abs() < 0.01);

        let shown = |filter: Filter| -> Vec<String> {
            filter
                .apply(&lines, Some(&definition))
                .into_iter()
                .map(|l| l.name.clone())
                .collect()
        };
        assert_eq!(
            shown(Filter {
                search: "李".into(),
                ..Filter::default()
            }),
            ["李四"]
        );
        assert_eq!(
            shown(Filter {
                search: " c3 ".into(),
                ..Filter::default()
            }),
            ["王五"]
        );
        assert_eq!(
            shown(Filter {
                village: "330110005002".into(),
                ..Filter::default()
            }),
            ["王五", "赵六"]
        );
        assert_eq!(
            shown(Filter {
                progress: Some(Progress::NotStarted),
                ..Filter::default()
            }),
            ["赵六"]
        );
        assert_eq!(
            shown(Filter {
                reconfirm: true,
                ..Filter::default()
            }),
            ["李四"]
        );
    }
}
