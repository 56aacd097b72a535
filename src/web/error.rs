//! The web layer's one error type: every way a request can fail, each with its status code
//! and a message a person can act on, answered as `{"error": "…"}`.
//!
//! It owns the mapping from queue and store errors to HTTP. It must not leak internals: a
//! failure of the help point itself (the store, a crashed task) is logged here with its cause
//! and answered with a safe, general message.

use std::time::Duration;

use axum::Json;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::help_point::ActionError;
use crate::queue::QueueError;

/// Why a request was not done.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// 400: the body is not the JSON this route takes.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no session or token, or a wrong one.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: a missing or wrong CSRF token, or a desk acting for another desk.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such desk, ticket, service or page.
    #[error("{0}")]
    NotFound(String),
    /// 404 or 409: the queue refused the action.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// 422: well-formed, but a value the help point does not offer (outcome, language).
    #[error("{0}")]
    Unprocessable(String),
    /// 429: too many failed sign-ins from this address for this desk.
    #[error("too many failed sign-ins; try again in {} seconds", retry_after.as_secs())]
    TooManyAttempts { retry_after: Duration },
    /// 503: the help point cannot store (or print) now, e.g. its disk is full; the reason is
    /// shown, it says what the technician must fix. Lasts until the fault is mended.
    #[error("the help point cannot do this now: {0}; call the technician")]
    Unavailable(String),
    /// 500: the help point itself failed; the cause is logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl From<ActionError> for WebError {
    fn from(e: ActionError) -> WebError {
        match e {
            ActionError::Queue(e) => WebError::Queue(e),
            ActionError::Store(e) => match e.write_fault() {
                Some(reason) => {
                    log::error!("web: store: {e}");
                    WebError::Unavailable(format!("the store cannot write: {reason}"))
                }
                None => WebError::Internal(format!("store: {e}")),
            },
        }
    }
}

impl From<crate::store::StoreError> for WebError {
    fn from(e: crate::store::StoreError) -> WebError {
        WebError::from(ActionError::Store(e))
    }
}

impl From<crate::owner::Stopped> for WebError {
    fn from(e: crate::owner::Stopped) -> WebError {
        WebError::Internal(format!("help point: {e}"))
    }
}

impl From<tokio::task::JoinError> for WebError {
    fn from(e: tokio::task::JoinError) -> WebError {
        WebError::Internal(format!("task failed: {e}"))
    }
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Queue(e) => match e {
                QueueError::UnknownService(_) | QueueError::UnknownDesk(_) | QueueError::UnknownTicket(_) => {
                    StatusCode::NOT_FOUND
                }
                QueueError::DeskPaused(_)
                | QueueError::NobodyWaiting(_)
                | QueueError::NoCurrentTicket(_)
                | QueueError::NotWaiting { .. }
                | QueueError::NotServedByDesk { .. }
                | QueueError::SameService { .. }
                | QueueError::NoLongerCurrent { .. } => StatusCode::CONFLICT,
                QueueError::AtAnotherDesk { .. } => StatusCode::FORBIDDEN,
            },
            WebError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            WebError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The message shown for any internal failure.
pub const INTERNAL_MESSAGE: &str =
    "the help point could not do this; try again, and call the technician if it keeps happening";

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Error)]
pub struct ErrorBody {
    /// What went wrong, in words a person can act on.
    pub error: String,
}

/// A JSON error body with a status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(ErrorBody { error: message.to_owned() })).into_response()
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let WebError::Internal(cause) = &self {
            log::error!("web: {cause}");
            return error_response(status, INTERNAL_MESSAGE);
        }
        let mut response = error_response(status, &self.to_string());
        if let WebError::TooManyAttempts { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
        }
        response
    }
}

/// A JSON request body. Unlike `axum::Json` it answers every problem — bad syntax, a wrong
/// type, an unknown field — as a 400 with a JSON error, and takes an empty body as `{}`, so
/// routes whose fields are all optional can be called without one.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = WebError;

    async fn from_request(req: Request, state: &S) -> Result<Self, WebError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| WebError::BadRequest(format!("cannot read the request body: {}", e.body_text())))?;
        let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { &bytes };
        serde_json::from_slice(text).map(JsonBody).map_err(|e| {
            WebError::BadRequest(format!("the request body is not valid JSON for this route: {e}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_refusals_are_conflicts_and_unknown_things_are_not_found() {
        assert_eq!(
            WebError::Queue(QueueError::NobodyWaiting("desk-1".into())).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(WebError::Queue(QueueError::DeskPaused("desk-1".into())).status(), StatusCode::CONFLICT);
        assert_eq!(
            WebError::Queue(QueueError::UnknownTicket(crate::queue::TicketId(9))).status(),
            StatusCode::NOT_FOUND
        );
    }

    #[test]
    fn an_internal_error_answers_a_safe_message() {
        let response = WebError::Internal("store: disk I/O error at /secret/path".into()).into_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn too_many_attempts_carries_retry_after() {
        let response = WebError::TooManyAttempts { retry_after: Duration::from_secs(42) }.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    }
}
