//! The results of the screening and the tutorials as xAPI statements (actor, verb, object,
//! result, context, timestamp), the JSON the central system receives through the outbox.
//!
//! It owns the statement profile: the ADL verbs `answered` (one per screening exercise that was
//! reached), `completed` or `terminated` (the screening, a tutorial); activity ids
//! `<xapi_base>/screening/<item-id>`, `<xapi_base>/screening` and `<xapi_base>/tutorial/<id>`;
//! extensions `<xapi_base>/ext/<name>`. The actor is pseudonymous: an account whose name is the
//! screening's result code (home page `<xapi_base>/result-code`) or, for a tutorial, a random
//! session id (home page `<xapi_base>/session`). Statements carry no free text: no names, no
//! typed answers, no labels — only ids, codes, numbers and levels.
//!
//! Pure: no I/O and no clock; statement ids and registrations are passed in. It must not send
//! anything: the store puts the statements in its outbox with the result they describe.

use jiff::Timestamp;
use jiff::fmt::temporal::DateTimePrinter;
use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::screening::{ItemEnding, ItemResult, Level, Referral, Scores, ScreeningRun, TutorialRun};

/// ADL verb ids, and the outbox event type of a statement (shared with `loket-central`).
pub use loket_protocol::xapi::{ANSWERED, COMPLETED, EVENT_TYPE, TERMINATED};

/// ADL activity types.
const INTERACTION: &str = "http://adlnet.gov/expapi/activities/cmi.interaction";
const ASSESSMENT: &str = "http://adlnet.gov/expapi/activities/assessment";
const LESSON: &str = "http://adlnet.gov/expapi/activities/lesson";

/// Where the statements come from: the id base, the kiosk, the local time zone.
#[derive(Debug, Clone, Copy)]
pub struct Profile<'a> {
    /// `learning.xapi_base`, without a trailing slash.
    pub base: &'a str,
    /// `site.kiosk_id`
    pub kiosk_id: &'a str,
    /// Timestamps are written with this zone's offset.
    pub time_zone: &'a TimeZone,
}

/// One statement, ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The statement's `id` (also the outbox event id, so a resend is recognised).
    pub id: Uuid,
    /// When it happened (the statement's `timestamp`).
    pub timestamp: Timestamp,
    pub json: Value,
}

/// An ISO 8601 duration in seconds with at most two decimals, as xAPI asks: `PT14S`,
/// `PT14.25S`.
pub fn duration(ms: u64) -> String {
    let (seconds, centis) = (ms / 1000, (ms % 1000) / 10);
    match centis {
        0 => format!("PT{seconds}S"),
        c if c % 10 == 0 => format!("PT{seconds}.{}S", c / 10),
        c => format!("PT{seconds}.{c:02}S"),
    }
}

/// RFC 3339 with the local offset and milliseconds: `2026-11-30T10:42:07.120+01:00`.
pub fn timestamp(at: Timestamp, time_zone: &TimeZone) -> String {
    DateTimePrinter::new().precision(Some(3)).timestamp_with_offset_to_string(&at, time_zone.to_offset(at))
}

impl Profile<'_> {
    fn ext(&self, name: &str) -> String {
        format!("{}/ext/{name}", self.base)
    }

    fn extensions(&self, pairs: Vec<(&str, Value)>) -> Value {
        Value::Object(pairs.into_iter().map(|(name, value)| (self.ext(name), value)).collect::<Map<_, _>>())
    }

    fn account(&self, home: &str, name: &str) -> Value {
        json!({
            "objectType": "Agent",
            "account": { "homePage": format!("{}/{home}", self.base), "name": name },
        })
    }

    fn activity(&self, path: &str, kind: &str, interaction: bool) -> Value {
        let mut definition = json!({ "type": kind });
        if interaction {
            definition["interactionType"] = json!("performance");
        }
        json!({ "objectType": "Activity", "id": format!("{}/{path}", self.base), "definition": definition })
    }

    #[allow(clippy::too_many_arguments)]
    fn statement(
        &self,
        id: Uuid,
        at: Timestamp,
        actor: Value,
        verb: &str,
        object: Value,
        result: Value,
        context: Value,
    ) -> Statement {
        let display = verb.rsplit('/').next().unwrap_or(verb);
        let json = json!({
            "id": id.to_string(),
            "actor": actor,
            "verb": { "id": verb, "display": { "en": display } },
            "object": object,
            "result": result,
            "context": context,
            "timestamp": timestamp(at, self.time_zone),
        });
        Statement { id, timestamp: at, json }
    }
}

/// The statements of a recorded screening: one `answered` per exercise that was reached (in
/// order; its timestamp is when it ended, counted from the start of the run), then `completed`
/// for the whole screening (`terminated` when the learner walked away) with the level per
/// competence and the referral's outcome. All share `registration`; the actor is the result
/// `code`.
pub fn screening_statements(
    profile: &Profile<'_>,
    run: &ScreeningRun,
    code: &str,
    scores: &Scores,
    referral: &Referral,
    registration: Uuid,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Vec<Statement> {
    let actor = profile.account("result-code", code);
    let mut statements = Vec::new();
    let mut elapsed_ms: u64 = 0;
    for (item, (_, level)) in run.items.iter().zip(&scores.items) {
        elapsed_ms = elapsed_ms.saturating_add(item.duration_ms);
        if item.ending == ItemEnding::NotReached {
            continue;
        }
        let at = run
            .started_at
            .checked_add(jiff::SignedDuration::from_millis(i64::try_from(elapsed_ms).unwrap_or(i64::MAX)))
            .unwrap_or(run.ended_at)
            .min(run.ended_at);
        statements.push(profile.statement(
            new_id(),
            at,
            actor.clone(),
            ANSWERED,
            profile.activity(&format!("screening/{}", item.item_id), INTERACTION, true),
            item_result(profile, item, *level),
            json!({
                "registration": registration.to_string(),
                "language": run.language,
                "contextActivities": { "parent": [profile.activity("screening", ASSESSMENT, false)] },
                "extensions": profile.extensions(vec![
                    ("kiosk_id", json!(profile.kiosk_id)),
                    ("content_version", json!(item.version)),
                    ("digcomp", json!(item.digcomp)),
                    ("digcomp_version", json!(item.digcomp_version)),
                ]),
            }),
        ));
    }

    let levels = |pairs: &[(String, Level)]| {
        Value::Object(pairs.iter().map(|(id, level)| (id.clone(), json!(level.name()))).collect())
    };
    let versions: Map<String, Value> =
        run.items.iter().map(|item| (item.item_id.clone(), json!(item.version))).collect();
    let codes: Vec<&str> = scores.competences.iter().map(|(code, _)| code.as_str()).collect();
    let mut context_ext = vec![
        ("kiosk_id", json!(profile.kiosk_id)),
        ("content_versions", Value::Object(versions)),
        ("digcomp", json!(codes)),
    ];
    // The competence codes are read in the DigComp version the exercises share.
    if let Some(first) = run.items.first()
        && run.items.iter().all(|i| i.digcomp_version == first.digcomp_version)
    {
        context_ext.push(("digcomp_version", json!(first.digcomp_version)));
    }
    // The pack lacked the learner's language: the instructions were in this one.
    if let Some(shown_in) = &run.instructions_language {
        context_ext.push(("instructions_language", json!(shown_in)));
    }
    let ran_ms = run.ended_at.duration_since(run.started_at).as_millis().max(0);
    statements.push(profile.statement(
        new_id(),
        run.ended_at,
        actor,
        if run.finished { COMPLETED } else { TERMINATED },
        profile.activity("screening", ASSESSMENT, false),
        json!({
            "completion": run.finished,
            "duration": duration(u64::try_from(ran_ms).unwrap_or(u64::MAX)),
            "extensions": profile.extensions(vec![
                ("competences", levels(&scores.competences)),
                ("items", levels(&scores.items)),
                ("referral", json!(referral.outcome)),
            ]),
        }),
        json!({
            "registration": registration.to_string(),
            "language": run.language,
            "extensions": profile.extensions(context_ext),
        }),
    ));
    statements
}

fn item_result(profile: &Profile<'_>, item: &ItemResult, level: Level) -> Value {
    let mut extensions = vec![
        ("level", json!(level.name())),
        ("ending", json!(item.ending.name())),
        ("steps_done", json!(item.steps_done())),
        ("steps_total", json!(item.steps.len())),
        ("hints", json!(item.hints())),
        ("max_hint_level", json!(item.max_hint_level())),
        ("wrong_taps", json!(item.wrong_taps())),
        ("risky_taps", json!(item.risky_taps())),
    ];
    if let Some(first) = item.steps.first().and_then(|s| s.first_action_ms) {
        extensions.push(("time_to_first_action_ms", json!(first)));
    }
    json!({
        "success": level != Level::NotYet,
        "completion": item.ending == ItemEnding::Completed,
        "duration": duration(item.duration_ms),
        "extensions": profile.extensions(extensions),
    })
}

/// The statement of a tutorial session: `completed` when the learner reached the end,
/// `terminated` otherwise. The actor is the random `session` id, also the registration.
pub fn tutorial_statement(profile: &Profile<'_>, run: &TutorialRun, session: Uuid, id: Uuid) -> Statement {
    let ran_ms = run.ended_at.duration_since(run.started_at).as_millis().max(0);
    profile.statement(
        id,
        run.ended_at,
        profile.account("session", &session.to_string()),
        if run.completed { COMPLETED } else { TERMINATED },
        profile.activity(&format!("tutorial/{}", run.tutorial_id), LESSON, false),
        json!({
            "completion": run.completed,
            "duration": duration(u64::try_from(ran_ms).unwrap_or(u64::MAX)),
            "extensions": profile.extensions(vec![
                ("steps_done", json!(run.steps_done)),
                ("steps_total", json!(run.steps_total)),
                ("hints", json!(run.hints)),
                ("wrong_taps", json!(run.wrong_taps)),
            ]),
        }),
        json!({
            "registration": session.to_string(),
            "language": run.language,
            "extensions": profile.extensions(
                [
                    ("kiosk_id", json!(profile.kiosk_id)),
                    ("content_version", json!(run.version)),
                    ("digcomp", json!(run.digcomp)),
                ]
                .into_iter()
                .chain(run.instructions_language.as_ref().map(|l| ("instructions_language", json!(l))))
                .collect(),
            ),
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::screening::{StepResult, score};

    const BASE: &str = "https://digilabo.example/xapi";

    fn brussels() -> TimeZone {
        TimeZone::get("Europe/Brussels").unwrap()
    }

    fn ids() -> impl FnMut() -> Uuid {
        let mut n = 0u128;
        move || {
            n += 1;
            Uuid::from_u128(0x8f0b7c1e_1c1b_4c1e_9d4f_000000000000 + n)
        }
    }

    fn step(done: bool, wrong: u32, risky: u32, hint: u8) -> StepResult {
        StepResult {
            step_id: "s01".into(),
            done,
            wrong_taps: wrong,
            risky_taps: risky,
            hint_level: hint,
            time_ms: 5_000,
            first_action_ms: Some(1_250),
        }
    }

    fn item(id: &str, digcomp: &[&str], ending: ItemEnding, steps: Vec<StepResult>) -> ItemResult {
        ItemResult {
            item_id: id.into(),
            version: 3,
            digcomp: digcomp.iter().map(|c| (*c).to_owned()).collect(),
            digcomp_version: "2.2".into(),
            ending,
            steps,
            duration_ms: 14_000,
        }
    }

    fn run() -> ScreeningRun {
        ScreeningRun {
            language: "ar".into(),
            instructions_language: None,
            started_at: "2026-11-30T09:40:00Z".parse().unwrap(),
            ended_at: "2026-11-30T09:41:00Z".parse().unwrap(),
            finished: false,
            items: vec![
                item("x04-mail-reply", &["2.1"], ItemEnding::Completed, vec![step(true, 2, 0, 1)]),
                item("x07-phishing", &["4.2", "1.2"], ItemEnding::Completed, vec![step(true, 1, 1, 0)]),
                item("x08-search-ad", &["1.1"], ItemEnding::NotReached, vec![]),
            ],
        }
    }

    fn statements() -> Vec<Statement> {
        let run = run();
        let scores = score(&run.items, 1);
        let referral = Referral { outcome: "one-to-one".into(), label: "Eén-op-één begeleiding".into() };
        let profile = Profile { base: BASE, kiosk_id: "atlas-onthaal-02", time_zone: &brussels() };
        let registration = Uuid::from_u128(7);
        screening_statements(&profile, &run, "K7M-4PX", &scores, &referral, registration, &mut ids())
    }

    #[test]
    fn durations_are_iso_8601_seconds() {
        assert_eq!(duration(14_000), "PT14S");
        assert_eq!(duration(14_250), "PT14.25S");
        assert_eq!(duration(14_500), "PT14.5S");
        assert_eq!(duration(14_005), "PT14S");
        assert_eq!(duration(0), "PT0S");
        assert_eq!(duration(3_600_000), "PT3600S");
    }

    #[test]
    fn timestamps_carry_the_local_offset() {
        let at: Timestamp = "2025-03-18T09:42:07.12Z".parse().unwrap();
        assert_eq!(timestamp(at, &brussels()), "2025-03-18T10:42:07.120+01:00");
        let summer: Timestamp = "2025-07-01T08:00:00Z".parse().unwrap();
        assert_eq!(timestamp(summer, &brussels()), "2025-07-01T10:00:00.000+02:00");
    }

    #[test]
    fn one_answered_per_reached_exercise_then_the_screening() {
        let statements = statements();
        let verbs: Vec<&str> = statements.iter().map(|s| s.json["verb"]["id"].as_str().unwrap()).collect();
        assert_eq!(
            verbs,
            [ANSWERED, ANSWERED, TERMINATED],
            "not reached: no answer; walked away: terminated"
        );
        let objects: Vec<&str> =
            statements.iter().map(|s| s.json["object"]["id"].as_str().unwrap()).collect();
        assert_eq!(
            objects,
            [
                format!("{BASE}/screening/x04-mail-reply"),
                format!("{BASE}/screening/x07-phishing"),
                format!("{BASE}/screening")
            ]
        );
        let mut ids: Vec<&str> = statements.iter().map(|s| s.json["id"].as_str().unwrap()).collect();
        ids.dedup();
        assert_eq!(ids.len(), 3);
        for s in &statements {
            assert_eq!(s.json["id"], s.id.to_string());
            assert_eq!(s.json["context"]["registration"], Uuid::from_u128(7).to_string());
            assert_eq!(s.json["context"]["language"], "ar");
            assert_eq!(s.json["context"]["extensions"][format!("{BASE}/ext/kiosk_id")], "atlas-onthaal-02");
        }
    }

    #[test]
    fn an_answer_has_its_measurements_and_context() {
        let answer = &statements()[0].json;
        assert_eq!(answer["object"]["definition"]["type"], INTERACTION);
        assert_eq!(answer["object"]["definition"]["interactionType"], "performance");
        let result = &answer["result"];
        assert_eq!(result["success"], true, "with help is a success");
        assert_eq!(result["completion"], true);
        assert_eq!(result["duration"], "PT14S");
        let ext = |name: &str| result["extensions"][format!("{BASE}/ext/{name}")].clone();
        assert_eq!(ext("level"), "with_help");
        assert_eq!((ext("hints"), ext("max_hint_level")), (json!(1), json!(1)));
        assert_eq!((ext("wrong_taps"), ext("risky_taps")), (json!(2), json!(0)));
        assert_eq!((ext("steps_done"), ext("steps_total")), (json!(1), json!(1)));
        assert_eq!(ext("time_to_first_action_ms"), 1_250);
        let context = &answer["context"]["extensions"];
        assert_eq!(context[format!("{BASE}/ext/content_version")], 3);
        assert_eq!(context[format!("{BASE}/ext/digcomp")], json!(["2.1"]));
        assert_eq!(context[format!("{BASE}/ext/digcomp_version")], "2.2");
        assert_eq!(answer["timestamp"], "2026-11-30T10:40:14.000+01:00", "when the exercise ended, local");

        let risky = &statements()[1].json["result"];
        assert_eq!(risky["success"], false);
        assert_eq!(risky["extensions"][format!("{BASE}/ext/risky_taps")], 1);
    }

    #[test]
    fn instructions_in_another_language_are_said_in_the_screening_statement() {
        let mut run = run();
        run.language = "ti".into();
        run.instructions_language = Some("nl".into());
        let scores = score(&run.items, 1);
        let referral = Referral { outcome: "one-to-one".into(), label: String::new() };
        let profile = Profile { base: BASE, kiosk_id: "k", time_zone: &brussels() };
        let last = screening_statements(
            &profile,
            &run,
            "K7M-4PX",
            &scores,
            &referral,
            Uuid::from_u128(7),
            &mut ids(),
        )
        .pop()
        .unwrap()
        .json;
        assert_eq!(last["context"]["language"], "ti", "the learner's language");
        assert_eq!(last["context"]["extensions"][format!("{BASE}/ext/instructions_language")], "nl");
        let plain = statements().pop().unwrap().json;
        assert!(plain["context"]["extensions"].get(format!("{BASE}/ext/instructions_language")).is_none());
    }

    #[test]
    fn the_screening_statement_has_levels_and_the_referral_outcome() {
        let last = statements().pop().unwrap().json;
        assert_eq!(last["object"]["definition"]["type"], ASSESSMENT);
        assert_eq!(last["result"]["completion"], false);
        assert_eq!(last["result"]["duration"], "PT60S");
        assert!(last["result"].get("success").is_none(), "a screening is never passed or failed");
        let ext = |name: &str| last["result"]["extensions"][format!("{BASE}/ext/{name}")].clone();
        assert_eq!(ext("referral"), "one-to-one");
        assert_eq!(
            ext("competences"),
            json!({"1.1": "not_yet", "1.2": "not_yet", "2.1": "with_help", "4.2": "not_yet"})
        );
        assert_eq!(
            ext("items"),
            json!({"x04-mail-reply": "with_help", "x07-phishing": "not_yet", "x08-search-ad": "not_yet"})
        );
        let context = &last["context"]["extensions"];
        assert_eq!(context[format!("{BASE}/ext/digcomp")], json!(["1.1", "1.2", "2.1", "4.2"]));
        assert_eq!(context[format!("{BASE}/ext/digcomp_version")], "2.2");
        assert_eq!(last["timestamp"], "2026-11-30T10:41:00.000+01:00");
    }

    /// Every string in a statement, with the key it sits under.
    fn strings<'a>(value: &'a Value, key: &str, out: &mut Vec<(String, &'a str)>) {
        match value {
            Value::String(s) => out.push((key.to_owned(), s)),
            Value::Array(items) => items.iter().for_each(|v| strings(v, key, out)),
            Value::Object(map) => map.iter().for_each(|(k, v)| strings(v, k, out)),
            _ => {}
        }
    }

    #[test]
    fn the_actor_is_only_the_code_and_there_is_no_free_text() {
        for statement in statements() {
            let json = &statement.json;
            for key in ["id", "actor", "verb", "object", "timestamp"] {
                assert!(json.get(key).is_some(), "required {key}");
            }
            assert_eq!(
                json["actor"],
                json!({"objectType": "Agent", "account": {"homePage": format!("{BASE}/result-code"), "name": "K7M-4PX"}})
            );
            let mut found = Vec::new();
            strings(json, "", &mut found);
            for (key, text) in found {
                assert!(!text.contains(' '), "free text under {key:?}: {text:?}");
                assert!(!text.contains("begeleiding"), "the referral's label is not reported");
                assert!(text.len() <= 80, "{key}: {text}");
            }
            assert!(json["object"]["definition"].get("name").is_none());
        }
    }

    #[test]
    fn a_tutorial_statement() {
        let run = TutorialRun {
            tutorial_id: "t02-email".into(),
            version: 2,
            digcomp: vec!["2.1".into()],
            language: "uk".into(),
            instructions_language: None,
            started_at: "2026-11-30T10:00:00Z".parse().unwrap(),
            ended_at: "2026-11-30T10:05:30.5Z".parse().unwrap(),
            completed: true,
            steps_done: 7,
            steps_total: 7,
            hints: 2,
            wrong_taps: 3,
        };
        let profile = Profile { base: BASE, kiosk_id: "k", time_zone: &TimeZone::UTC };
        let session = Uuid::from_u128(42);
        let s = tutorial_statement(&profile, &run, session, Uuid::from_u128(43)).json;
        assert_eq!(s["verb"]["id"], COMPLETED);
        assert_eq!(
            s["actor"]["account"],
            json!({"homePage": format!("{BASE}/session"), "name": session.to_string()})
        );
        assert_eq!(s["object"]["id"], format!("{BASE}/tutorial/t02-email"));
        assert_eq!(s["object"]["definition"]["type"], LESSON);
        assert_eq!(s["result"]["duration"], "PT330.5S");
        assert_eq!(s["result"]["extensions"][format!("{BASE}/ext/hints")], 2);
        assert_eq!(s["context"]["extensions"][format!("{BASE}/ext/content_version")], 2);
        assert_eq!(s["context"]["language"], "uk");
        assert_eq!(s["timestamp"], "2026-11-30T10:05:30.500+00:00");
        let left = TutorialRun { completed: false, ..run };
        assert_eq!(
            tutorial_statement(&profile, &left, session, Uuid::from_u128(44)).json["verb"]["id"],
            TERMINATED
        );
    }
}
