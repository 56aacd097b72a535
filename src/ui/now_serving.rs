//! The "now serving" strip, and the desktop run's desk keys (F1, F2 …) that stand in for the
//! desks' call buttons. The keys must call nobody on a kiosk (a keyboard plugged into it is the
//! public's): they act only once [`super::Kiosk::use_function_keys_as_desk_buttons`] is called.

use std::rc::Rc;

use slint::{ComponentHandle, ModelRc, VecModel};

use super::Shared;
use crate::{AppWindow, CallShown, KioskAdapter, NowServingAdapter};

pub(super) fn connect(window: &AppWindow, shared: &Rc<Shared>) {
    window.global::<NowServingAdapter>().set_slots(shared.config.kiosk.now_serving_count as i32);
    refresh(window, shared);
    let keys = shared.clone();
    window.global::<KioskAdapter>().on_desk_key(move |n| {
        if !keys.desk_keys.get() {
            log::debug!("desk key F{n} ignored: function keys call visitors only in the desktop run");
            return;
        }
        let Some(desk) = keys.config.desks.get((n as usize).saturating_sub(1)) else { return };
        // Sent, not waited for: the strip follows when the call is committed (queue news).
        let desk = desk.id.clone();
        let sent = keys.help_point.send(move |hp| match hp.call_next(&desk) {
            Ok(_) => log::info!("desk key F{n}: {desk} called the next ticket"),
            Err(e) => log::info!("desk key F{n}: {e}"),
        });
        if let Err(e) = sent {
            log::warn!("desk key F{n}: {e}");
        }
    });
}

/// Shows the latest calls, newest first, with the desk names visitors see on the desks.
pub(super) fn refresh(window: &AppWindow, shared: &Shared) {
    let count = shared.config.kiosk.now_serving_count as usize;
    let queue = shared.help_point.queue();
    // Lit only while it is served now: not when its ticket was sent on to another service.
    let newest = queue.recent_calls(1).first().map(|c| c.ticket);
    let now_serving = queue.now_serving().map(|c| c.ticket);
    window.global::<NowServingAdapter>().set_newest_served_now(newest.is_some() && newest == now_serving);
    let calls: Vec<CallShown> = queue
        .recent_calls(count)
        .into_iter()
        .map(|call| CallShown {
            code: call.code.into(),
            desk: shared.config.desk(&call.desk).map_or(call.desk.as_str(), |d| d.name.as_str()).into(),
        })
        .collect();
    window.global::<NowServingAdapter>().set_calls(ModelRc::new(VecModel::from(calls)));
}
