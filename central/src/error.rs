//! The central web layer's one error type, answered as `{"error": "…"}` with a status a kiosk
//! (or a person) can act on. A failure of the store is logged here with its cause and answered
//! with a safe, general message.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::store::StoreError;

/// Why a request was not done.
#[derive(Debug, thiserror::Error)]
pub enum CentralError {
    /// 400: not the JSON (or form) this route takes.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no token or session, or a wrong or revoked one.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// 403: a token used for another kiosk, a missing CSRF token.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// 413: a body over the limit.
    #[error("{0}")]
    TooLarge(String),
    /// 429: too many failed sign-ins.
    #[error("too many failed sign-ins; try again in {} seconds", retry_after.as_secs())]
    TooManyAttempts { retry_after: Duration },
    /// 500: logged, not shown.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for CentralError {
    fn from(e: StoreError) -> CentralError {
        CentralError::Internal(format!("store: {e}"))
    }
}

impl From<tokio::task::JoinError> for CentralError {
    fn from(e: tokio::task::JoinError) -> CentralError {
        CentralError::Internal(format!("task failed: {e}"))
    }
}

/// The message shown for any internal failure.
pub const INTERNAL_MESSAGE: &str = "the central system could not do this now; try again later";

impl CentralError {
    pub fn status(&self) -> StatusCode {
        match self {
            CentralError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CentralError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            CentralError::Forbidden(_) => StatusCode::FORBIDDEN,
            CentralError::NotFound(_) => StatusCode::NOT_FOUND,
            CentralError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            CentralError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            CentralError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// A JSON error body with a status.
pub fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(loket_protocol::report::ErrorBody { error: message.to_owned() })).into_response()
}

impl IntoResponse for CentralError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let CentralError::Internal(cause) = &self {
            log::error!("central: {cause}");
            let mut response = error_response(status, INTERNAL_MESSAGE);
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            return response;
        }
        let mut response = error_response(status, &self.to_string());
        if let CentralError::TooManyAttempts { retry_after } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after.as_secs().max(1)));
        }
        response
    }
}

/// A request body as bytes; a body over the route's limit is a 413 with a JSON reason.
pub struct Body(pub axum::body::Bytes);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Body {
    type Rejection = CentralError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Body, CentralError> {
        axum::body::Bytes::from_request(req, state).await.map(Body).map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                CentralError::TooLarge(format!("the request body is too large: {}", e.body_text()))
            } else {
                CentralError::BadRequest(format!("cannot read the request body: {}", e.body_text()))
            }
        })
    }
}
