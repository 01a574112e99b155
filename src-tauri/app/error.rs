//! The one error type at the IPC edge: `{code, message}`, so the UI branches
//! on `code` and shows `message`.

use serde::Serialize;

use crate::config::ConfigError;
use crate::services::ServiceError;
use crate::store::StoreError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct IpcError {
    /// unreachable, timeout, tls, unauthorized, banned, server_error,
    /// bad_response, config, keyring_unavailable, store, not_found, internal
    pub code: &'static str,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        IpcError {
            code,
            message: message.into(),
        }
    }
}

impl From<ServiceError> for IpcError {
    fn from(e: ServiceError) -> Self {
        IpcError::new(e.kind.as_str(), e.message)
    }
}

impl From<ConfigError> for IpcError {
    fn from(e: ConfigError) -> Self {
        IpcError::new("config", e.to_string())
    }
}

impl From<StoreError> for IpcError {
    fn from(e: StoreError) -> Self {
        IpcError::new("store", e.to_string())
    }
}

impl From<tauri::Error> for IpcError {
    fn from(e: tauri::Error) -> Self {
        IpcError::new("internal", e.to_string())
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
