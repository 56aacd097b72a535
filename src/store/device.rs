//! The devices' last known state (the printer: ready, out of paper, ...), as staff and the
//! central system see it. A change is stored with its event for the central system in one
//! transaction; an unchanged state writes nothing.
//!
//! It must not talk to a device: the printer's driver tells the help point, which tells the store.

use rusqlite::{OptionalExtension, params};

use super::outbox::OutboxWriter;
use super::{Store, StoreError};

impl Store {
    /// Records a device's new state (e.g. the printer: "no_paper") and an event for the central
    /// system, in one transaction. Returns false, writing nothing, when the state is unchanged.
    pub fn record_device_state(
        &mut self,
        device: &str,
        state: &str,
        detail: &str,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        // Known at once, stored or not: /health tells of a printer out of paper on a full disk.
        self.faults.note_device(device, state, detail);
        let result = self.write_device_state(device, state, detail, at);
        match result {
            // Unchanged: nothing was written, so nothing is learnt about the disk.
            Ok(false) => Ok(false),
            result => self.wrote(result),
        }
    }

    fn write_device_state(
        &mut self,
        device: &str,
        state: &str,
        detail: &str,
        at: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let mut outbox = OutboxWriter::new(&self.origin, self.outbox_max);
        let tx = self.conn.transaction()?;
        let old: Option<String> = tx
            .query_row("SELECT state FROM device_state WHERE device = ?1", [device], |r| r.get(0))
            .optional()?;
        if old.as_deref() == Some(state) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO device_state (device, state, detail, since) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device) DO UPDATE SET state = excluded.state, detail = excluded.detail,
                                                since = excluded.since",
            params![device, state, detail, at.to_string()],
        )?;
        let body = serde_json::json!({
            "type": "device_state_changed", "at": at, "device": device, "state": state,
            "previous": old, "detail": detail,
        });
        outbox.add(&tx, &uuid::Uuid::new_v4().to_string(), "device_state_changed", at, &body.to_string())?;
        tx.commit()?;
        let dropped = outbox.dropped;
        self.log_dropped(dropped);
        Ok(true)
    }

    /// A device's last recorded state and its detail.
    pub fn device_state(&self, device: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn
            .query_row("SELECT state, detail FROM device_state WHERE device = ?1", [device], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queue::fixtures::at;

    #[test]
    fn a_device_state_change_is_stored_once_with_its_event() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.device_state("printer").unwrap(), None);
        assert!(store.record_device_state("printer", "no_paper", "status byte 0x04", at(9, 0)).unwrap());
        assert!(!store.record_device_state("printer", "no_paper", "again", at(9, 1)).unwrap(), "unchanged");
        assert!(store.record_device_state("printer", "ready", "", at(9, 5)).unwrap());
        assert_eq!(store.device_state("printer").unwrap(), Some(("ready".into(), "".into())));
        let rows = store.outbox(10).unwrap();
        assert_eq!(rows.len(), 2);
        let body: serde_json::Value = serde_json::from_str(&rows[1].3).unwrap();
        assert_eq!((body["state"].as_str(), body["previous"].as_str()), (Some("ready"), Some("no_paper")));
    }
}
