//! The server's one error type, and how each error becomes an HTTP answer.
//!
//! Every failure a request can cause is an [`AppError`]; its [`IntoResponse`] picks the status
//! and writes an [`ErrorBody`] saying what went wrong, so clients always get JSON they can read.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use doorstep_core::protocol::{ErrorBody, ErrorDetail};
use thiserror::Error;

use crate::store::StoreError;

/// Everything that can go wrong while answering a request.
#[derive(Debug, Error)]
pub enum AppError {
    /// The body is not JSON, or not of the expected shape.
    #[error("the request body is not valid: {0}")]
    MalformedJson(String),
    /// The body is larger than the server accepts.
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body could not be read for another reason.
    #[error("the request body could not be read: {0}")]
    UnreadableBody(String),
    /// A batch has more records than allowed.
    #[error("a batch may hold at most {limit} records, this one has {count}")]
    BatchTooLarge {
        /// The limit.
        limit: usize,
        /// What was sent.
        count: usize,
    },
    /// No bearer token, or one that is unknown or expired.
    #[error("sign in first: the request has no valid bearer token, or it has expired")]
    Unauthorized,
    /// The name or the password is wrong.
    #[error("the account name or the password is wrong")]
    BadCredentials,
    /// Too many requests for this token or account.
    #[error("too many requests; try again in {retry_after} s")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The database failed.
    #[error("storage failed: {0}")]
    Store(#[from] StoreError),
    /// A blocking task could not finish.
    #[error("internal task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// An answer could not be written as JSON.
    #[error("the answer could not be written: {0}")]
    Encode(#[from] serde_json::Error),
}

impl AppError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::MalformedJson(_) => (StatusCode::BAD_REQUEST, "malformed_json"),
            AppError::BodyTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            AppError::UnreadableBody(_) => (StatusCode::BAD_REQUEST, "unreadable_body"),
            AppError::BatchTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "batch_too_large"),
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_failed"),
            AppError::Task(_) | AppError::Encode(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.to_string(),
                message: self.to_string(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::RateLimited { retry_after } = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after),
            );
        }
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}
