//! Structured logs (JSON lines on stderr) that cannot carry request data.
//!
//! A line has a fixed set of operational fields (level, component, request id, method,
//! route *template*, status, duration, key id) plus extra fields whose values are
//! numbers, booleans, `&'static str` or [`Masked`] values — there is no way to log an
//! arbitrary `String`, so request bodies, headers and personal data stay out by
//! construction. Messages are `&'static str` for the same reason.
//!
//! ```
//! use lendkit::log::{Level, Line};
//! Line::new(Level::Info, "ledger-api", "entry posted")
//!     .field("lines", 4u64)
//!     .field("replayed", false)
//!     .emit();
//! ```

use crate::mask::Masked;
use std::time::{SystemTime, UNIX_EPOCH};

/// Severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Diagnostic detail.
    Debug,
    /// Normal operation (one line per request).
    Info,
    /// Something a caller did wrong that operators may want to see (4xx are `Info`).
    Warn,
    /// A failure on our side (5xx).
    Error,
}

impl Level {
    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    /// The level of a request log line for a response status.
    pub const fn for_status(status: u16) -> Self {
        if status >= 500 {
            Level::Error
        } else {
            Level::Info
        }
    }
}

/// A value allowed in a log line.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An unsigned number.
    U64(u64),
    /// A signed number.
    I64(i64),
    /// A boolean.
    Bool(bool),
    /// A string fixed at compile time.
    Static(&'static str),
    /// The masked form of a personal identifier.
    Masked(String),
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::U64(v)
    }
}
impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::U64(v.into())
    }
}
impl From<u16> for Value {
    fn from(v: u16) -> Self {
        Value::U64(v.into())
    }
}
impl From<usize> for Value {
    fn from(v: usize) -> Self {
        Value::U64(v as u64)
    }
}
impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::I64(v)
    }
}
impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}
impl From<&'static str> for Value {
    fn from(v: &'static str) -> Self {
        Value::Static(v)
    }
}
impl<T: AsRef<str>> From<&Masked<T>> for Value {
    fn from(v: &Masked<T>) -> Self {
        Value::Masked(v.masked())
    }
}

impl Value {
    fn to_json(&self) -> serde_json::Value {
        match self {
            Value::U64(v) => (*v).into(),
            Value::I64(v) => (*v).into(),
            Value::Bool(v) => (*v).into(),
            Value::Static(v) => (*v).into(),
            Value::Masked(v) => v.as_str().into(),
        }
    }
}

/// Most extra fields on one line.
pub const MAX_FIELDS: usize = 16;

/// One log line under construction.
#[derive(Debug, Clone)]
pub struct Line {
    level: Level,
    component: &'static str,
    message: &'static str,
    fields: Vec<(&'static str, serde_json::Value)>,
}

impl Line {
    /// Start a line.
    pub fn new(level: Level, component: &'static str, message: &'static str) -> Self {
        Self {
            level,
            component,
            message,
            fields: Vec::new(),
        }
    }

    /// Add an extra field (at most [`MAX_FIELDS`]; later ones are dropped).
    pub fn field(mut self, name: &'static str, value: impl Into<Value>) -> Self {
        if self.fields.len() < MAX_FIELDS {
            self.fields.push((name, value.into().to_json()));
        }
        self
    }

    /// Add an identifier the platform generated or validated (request id, key id): only
    /// ASCII `A-Za-z0-9._:-` up to 64 characters is kept, anything else becomes `"invalid"`.
    pub fn id(mut self, name: &'static str, value: &str) -> Self {
        let safe = !value.is_empty()
            && value.len() <= 64
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
        if self.fields.len() < MAX_FIELDS {
            self.fields
                .push((name, if safe { value.into() } else { "invalid".into() }));
        }
        self
    }

    /// The JSON text of the line (without newline).
    pub fn render(&self) -> String {
        let mut object = serde_json::Map::new();
        let ts_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or_default();
        object.insert("ts_ms".into(), ts_ms.into());
        object.insert("level".into(), self.level.as_str().into());
        object.insert("component".into(), self.component.into());
        object.insert("msg".into(), self.message.into());
        for (name, value) in &self.fields {
            object.insert((*name).into(), value.clone());
        }
        serde_json::Value::Object(object).to_string()
    }

    /// Write the line to stderr.
    pub fn emit(self) {
        eprintln!("{}", self.render());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_json_line() {
        let ssn = Masked::new("123-45-6789");
        let line = Line::new(Level::Warn, "intake", "duplicate applicant")
            .field("status", 409u16)
            .field("duration_us", 1234u64)
            .field("replayed", true)
            .field("route", "POST /v1/applications")
            .field("national_id", &ssn)
            .id("request_id", "abc-123")
            .id("key_id", "bad value with spaces");
        let text = line.render();
        assert!(!text.contains('\n'));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["level"], "warn");
        assert_eq!(v["component"], "intake");
        assert_eq!(v["msg"], "duplicate applicant");
        assert_eq!(v["status"], 409);
        assert_eq!(v["replayed"], true);
        assert_eq!(v["national_id"], "***6789");
        assert_eq!(v["request_id"], "abc-123");
        assert_eq!(v["key_id"], "invalid");
        assert!(v["ts_ms"].as_u64().unwrap() > 0);
        assert!(!text.contains("123-45"));
    }

    #[test]
    fn field_limit() {
        let mut line = Line::new(Level::Info, "c", "m");
        for _ in 0..(MAX_FIELDS + 5) {
            line = line.field("x", 1u64);
        }
        assert_eq!(line.fields.len(), MAX_FIELDS);
    }

    #[test]
    fn levels() {
        assert_eq!(Level::for_status(200), Level::Info);
        assert_eq!(Level::for_status(404), Level::Info);
        assert_eq!(Level::for_status(503), Level::Error);
    }
}
