//! The learning results: screenings (per exercise and per competence, found again by their
//! result code) and tutorial sessions, each stored with its xAPI statements (into the outbox) in
//! one transaction, and how many of each ended on a day.
//!
//! It must not score anything or choose a referral: the rules live in `crate::screening`.

use jiff::civil::Date;
use rusqlite::{OptionalExtension, Transaction, params};

use super::outbox::OutboxWriter;
use super::{Store, StoreError, parse_time};
use crate::screening::{
    ItemEnding, ItemResult, Level, Referral, ScreeningDetail, ScreeningRun, StepResult, TutorialRun,
    normalize_code,
};
use crate::xapi::{self, Statement};

/// A scored screening, ready to be stored (see [`Store::record_screening`]).
#[derive(Debug, Clone, Copy)]
pub struct NewScreening<'a> {
    /// The result code as shown, e.g. `K7M-4PX`.
    pub code: &'a str,
    /// The local day it ended on (for the day's figures).
    pub day: Date,
    pub run: &'a ScreeningRun,
    /// The level of each of `run.items`, in the same order.
    pub levels: &'a [Level],
    pub competences: &'a [(String, Level)],
    pub referral: &'a Referral,
    pub statements: &'a [Statement],
}

impl Store {
    /// outbox) in one transaction. Returns false, writing nothing, when the code is already
    /// taken: the caller draws another.
    pub fn record_screening(&mut self, new: &NewScreening<'_>) -> Result<bool, StoreError> {
        let result = self.write_screening(new);
        self.wrote(result)
    }

    fn write_screening(&mut self, new: &NewScreening<'_>) -> Result<bool, StoreError> {
        let run = new.run;
        if new.levels.len() != run.items.len() {
            return Err(StoreError::Damaged(format!(
                "{} levels for {} exercises",
                new.levels.len(),
                run.items.len()
            )));
        }
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        let taken: bool =
            tx.query_row("SELECT EXISTS (SELECT 1 FROM screening WHERE code = ?1)", [new.code], |r| {
                r.get(0)
            })?;
        if taken {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO screening (code, day, language, started_at, ended_at, finished, referral, referral_label,
                                    instructions_language)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                new.code,
                new.day.to_string(),
                run.language,
                run.started_at.to_string(),
                run.ended_at.to_string(),
                run.finished,
                new.referral.outcome,
                new.referral.label,
                run.instructions_language,
            ],
        )?;
        let id = tx.last_insert_rowid();
        for (position, (item, level)) in run.items.iter().zip(new.levels).enumerate() {
            tx.execute(
                "INSERT INTO screening_item (screening, position, item_id, version, digcomp, digcomp_version,
                                             ending, level, steps, duration_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    id,
                    position as i64,
                    item.item_id,
                    item.version,
                    to_json(&item.digcomp)?,
                    item.digcomp_version,
                    item.ending.name(),
                    level.name(),
                    to_json(&item.steps)?,
                    i64::try_from(item.duration_ms).unwrap_or(i64::MAX),
                ],
            )?;
        }
        for (code, level) in new.competences {
            tx.execute(
                "INSERT INTO screening_competence (screening, code, level) VALUES (?1, ?2, ?3)",
                params![id, code, level.name()],
            )?;
        }
        for statement in new.statements {
            write_statement(&tx, &mut outbox, statement)?;
        }
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(true)
    }

    /// Stores a tutorial session and its statement (into the outbox) in one transaction.
    /// `session` is the random id its statement uses as actor.
    pub fn record_tutorial(
        &mut self,
        run: &TutorialRun,
        session: &str,
        day: Date,
        statement: &Statement,
    ) -> Result<(), StoreError> {
        let result = self.write_tutorial(run, session, day, statement);
        self.wrote(result)
    }

    fn write_tutorial(
        &mut self,
        run: &TutorialRun,
        session: &str,
        day: Date,
        statement: &Statement,
    ) -> Result<(), StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO tutorial_run (session, day, tutorial_id, version, digcomp, language, started_at,
                                       ended_at, completed, steps_done, steps_total, hints, wrong_taps,
                                       instructions_language)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
            params![
                session,
                day.to_string(),
                run.tutorial_id,
                run.version,
                to_json(&run.digcomp)?,
                run.language,
                run.started_at.to_string(),
                run.ended_at.to_string(),
                run.completed,
                run.steps_done,
                run.steps_total,
                run.hints,
                run.wrong_taps,
                run.instructions_language,
            ],
        )?;
        write_statement(&tx, &mut outbox, statement)?;
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(())
    }

    /// A recorded screening by its result code, typed in any case, with or without the dash;
    /// `None` when no screening has that code (or it cannot be a code).
    pub fn screening_by_code(&self, code: &str) -> Result<Option<ScreeningDetail>, StoreError> {
        let Some(code) = normalize_code(code) else { return Ok(None) };
        let row = self
            .conn
            .query_row(
                "SELECT id, language, started_at, ended_at, finished, referral, referral_label,
                        instructions_language
                   FROM screening WHERE code = ?1",
                [&code],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, Option<String>>(7)?,
                    ))
                },
            )
            .optional()?;
        let Some((id, language, started_at, ended_at, finished, outcome, label, instructions_language)) = row
        else {
            return Ok(None);
        };
        let mut stmt = self.conn.prepare(
            "SELECT item_id, version, digcomp, digcomp_version, ending, level, steps, duration_ms
               FROM screening_item WHERE screening = ?1 ORDER BY position",
        )?;
        let items = stmt
            .query_map([id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })?
            .map(|row| {
                let (item_id, version, digcomp, digcomp_version, ending, level, steps, duration_ms) = row?;
                let item = ItemResult {
                    digcomp: from_json::<Vec<String>>(&digcomp, &code)?,
                    ending: ItemEnding::from_name(&ending).ok_or_else(|| {
                        StoreError::Damaged(format!("screening {code}: unknown ending {ending:?}"))
                    })?,
                    steps: from_json::<Vec<StepResult>>(&steps, &code)?,
                    item_id,
                    version,
                    digcomp_version,
                    duration_ms: u64::try_from(duration_ms).unwrap_or(0),
                };
                Ok((item, parse_level(&level, &code)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut stmt = self
            .conn
            .prepare("SELECT code, level FROM screening_competence WHERE screening = ?1 ORDER BY code")?;
        let competences = stmt
            .query_map([id], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .map(|row| {
                let (competence, level) = row?;
                Ok((competence, parse_level(&level, &code)?))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(Some(ScreeningDetail {
            started_at: parse_time(&started_at)?,
            ended_at: parse_time(&ended_at)?,
            code,
            language,
            instructions_language,
            finished,
            items,
            competences,
            referral: Referral { outcome, label },
        }))
    }

    /// How many screenings and tutorial sessions ended on this local day.
    pub fn learning_counts(&self, day: Date) -> Result<(u64, u64), StoreError> {
        let day = day.to_string();
        let count = |table: &str| -> Result<u64, StoreError> {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE day = ?1");
            Ok(self.conn.query_row(&sql, [&day], |r| r.get::<_, i64>(0))? as u64)
        };
        Ok((count("screening")?, count("tutorial_run")?))
    }
}

fn write_statement(
    tx: &Transaction<'_>,
    outbox: &mut OutboxWriter<'_>,
    statement: &Statement,
) -> Result<(), StoreError> {
    let body = statement.json.to_string();
    outbox.add(tx, &statement.id.to_string(), xapi::EVENT_TYPE, statement.timestamp, &body)
}

fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Damaged(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, code: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Damaged(format!("screening {code}: {e}")))
}

fn parse_level(name: &str, code: &str) -> Result<Level, StoreError> {
    Level::from_name(name)
        .ok_or_else(|| StoreError::Damaged(format!("screening {code}: unknown level {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::fixtures::at;
    use crate::store::MIGRATIONS;
    use rusqlite::Connection;

    fn screening_run() -> ScreeningRun {
        let step = |done: bool, hint_level: u8| StepResult {
            step_id: "s01".into(),
            done,
            wrong_taps: 2,
            risky_taps: 0,
            hint_level,
            time_ms: 8_000,
            first_action_ms: None,
        };
        let item = |id: &str, ending: ItemEnding, steps: Vec<StepResult>| ItemResult {
            item_id: id.into(),
            version: 2,
            digcomp: vec!["2.1".into(), "2.4".into()],
            digcomp_version: "2.2".into(),
            ending,
            steps,
            duration_ms: 30_500,
        };
        ScreeningRun {
            language: "uk".into(),
            // The pack has no Ukrainian: the instructions were in Dutch.
            instructions_language: Some("nl".into()),
            started_at: at(10, 0),
            ended_at: at(10, 12),
            finished: true,
            items: vec![
                item("x04-mail-reply", ItemEnding::Completed, vec![step(true, 1), step(true, 0)]),
                item("x05-video-call", ItemEnding::Skipped, vec![step(false, 3)]),
            ],
        }
    }

    fn statement(n: u128) -> Statement {
        Statement {
            id: uuid::Uuid::from_u128(n),
            timestamp: at(10, 12),
            json: serde_json::json!({ "id": uuid::Uuid::from_u128(n).to_string() }),
        }
    }

    fn record(store: &mut Store, code: &str, statements: &[Statement]) -> Result<bool, StoreError> {
        let run = screening_run();
        let referral = Referral { outcome: "group-session".into(), label: "Digisessie in groep".into() };
        let competences = [("2.1".to_owned(), Level::WithHelp), ("2.4".to_owned(), Level::WithHelp)];
        store.record_screening(&NewScreening {
            code,
            day: at(10, 12).to_zoned(jiff::tz::TimeZone::UTC).date(),
            run: &run,
            levels: &[Level::WithHelp, Level::NotYet],
            competences: &competences,
            referral: &referral,
            statements,
        })
    }

    #[test]
    fn a_screening_is_stored_with_its_statements_and_read_back_by_code() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "K7M-4PX", &[statement(1), statement(2)]).unwrap());
        let detail = store.screening_by_code("K7M-4PX").unwrap().unwrap();
        let run = screening_run();
        assert_eq!(detail.code, "K7M-4PX");
        assert_eq!(
            (detail.language.as_str(), detail.started_at, detail.ended_at),
            ("uk", run.started_at, run.ended_at)
        );
        assert_eq!(detail.instructions_language.as_deref(), Some("nl"), "kept with the result");
        assert!(detail.finished);
        assert_eq!(
            detail.items,
            [(run.items[0].clone(), Level::WithHelp), (run.items[1].clone(), Level::NotYet)]
        );
        assert_eq!(detail.competences, [("2.1".into(), Level::WithHelp), ("2.4".into(), Level::WithHelp)]);
        assert_eq!(detail.referral.outcome, "group-session");
        assert_eq!(detail.referral.label, "Digisessie in groep");
        let rows = store.outbox(10).unwrap();
        let types: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
        assert_eq!(types, ["xapi_statement", "xapi_statement"]);
        assert_eq!(rows[0].1, uuid::Uuid::from_u128(1).to_string(), "the statement id is the event id");
    }

    #[test]
    fn codes_are_found_in_any_case_with_or_without_the_dash() {
        let mut store = Store::open_in_memory().unwrap();
        record(&mut store, "K7M-4PX", &[]).unwrap();
        for typed in ["k7m-4px", "K7M4PX", " k7m4px"] {
            assert_eq!(store.screening_by_code(typed).unwrap().unwrap().code, "K7M-4PX", "{typed}");
        }
        assert_eq!(store.screening_by_code("K7M-4PA").unwrap(), None);
        assert_eq!(store.screening_by_code("nonsense").unwrap(), None);
    }

    #[test]
    fn a_taken_code_writes_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "K7M-4PX", &[statement(1)]).unwrap());
        assert!(!record(&mut store, "K7M-4PX", &[statement(2)]).unwrap());
        assert_eq!(store.outbox_backlog().unwrap(), 1);
    }

    #[test]
    fn a_failed_screening_transaction_keeps_nothing() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(record(&mut store, "AAA-AAA", &[statement(1), statement(1)]).is_err(), "duplicate event id");
        assert_eq!(store.screening_by_code("AAA-AAA").unwrap(), None);
        assert_eq!(store.outbox_backlog().unwrap(), 0);
        let count: i64 =
            store.conn.query_row("SELECT COUNT(*) FROM screening_item", [], |r| r.get(0)).unwrap();
        assert_eq!(count, 0);
    }

    #[test]
    fn tutorials_and_screenings_are_counted_per_day() {
        let mut store = Store::open_in_memory().unwrap();
        record(&mut store, "AAA-AAA", &[]).unwrap();
        let run = TutorialRun {
            tutorial_id: "t02-email".into(),
            version: 1,
            digcomp: vec!["2.1".into()],
            language: "fr".into(),
            instructions_language: None,
            started_at: at(11, 0),
            ended_at: at(11, 6),
            completed: false,
            steps_done: 3,
            steps_total: 8,
            hints: 1,
            wrong_taps: 0,
        };
        let today = at(11, 6).to_zoned(jiff::tz::TimeZone::UTC).date();
        store.record_tutorial(&run, "session-1", today, &statement(9)).unwrap();
        store.record_tutorial(&run, "session-2", today, &statement(10)).unwrap();
        assert_eq!(store.learning_counts(today).unwrap(), (1, 2));
        assert_eq!(store.learning_counts(today.tomorrow().unwrap()).unwrap(), (0, 0));
        assert_eq!(store.outbox_backlog().unwrap(), 2);
        assert!(store.record_tutorial(&run, "session-3", today, &statement(9)).is_err(), "statement twice");
        assert_eq!(store.learning_counts(today).unwrap(), (1, 2), "and nothing of it kept");
    }

    #[test]
    fn a_store_of_schema_2_gets_the_learning_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("loket.sqlite");
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.execute_batch(MIGRATIONS[1]).unwrap();
            conn.pragma_update(None, "user_version", 2).unwrap();
        }
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert!(record(&mut store, "AAA-AAA", &[]).unwrap());
    }
}
