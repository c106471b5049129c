//! Reading a JSON document field by field while collecting every problem, each under the
//! JSON pointer (RFC 6901) of its field, so that one answer lists all of them.

use serde_json::{Map, Value};

/// One problem with one field: its JSON pointer and a message that never repeats the
/// submitted value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON pointer of the field, e.g. `/applicant/address/postal_code`.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

/// The problems found so far.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Records a problem with the field at `pointer`.
    pub fn add(&mut self, pointer: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            pointer: pointer.to_string(),
            message: message.into(),
        });
    }

    /// Whether nothing is wrong so far.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every problem, in the order found.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// Escapes a member name for a JSON pointer (`~` → `~0`, `/` → `~1`).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// The pointer of member `name` of the object at `parent`.
pub fn child(parent: &str, name: &str) -> String {
    format!("{parent}/{}", escape(name))
}

/// An object being read: the fields it knows are taken one by one, and any other field is
/// reported as unknown when the object is finished.
pub struct Object<'a> {
    map: &'a Map<String, Value>,
    pointer: String,
    known: Vec<&'static str>,
}

impl<'a> Object<'a> {
    /// The object at `pointer`, or a problem when `value` is not an object (`None` when it
    /// is absent and `required`, too).
    pub fn at(
        value: Option<&'a Value>,
        pointer: &str,
        required: bool,
        errors: &mut Errors,
    ) -> Option<Object<'a>> {
        match value {
            Some(Value::Object(map)) => Some(Object {
                map,
                pointer: pointer.to_string(),
                known: Vec::new(),
            }),
            None | Some(Value::Null) if !required => None,
            None | Some(Value::Null) => {
                errors.add(pointer, "is required");
                None
            }
            Some(_) => {
                errors.add(pointer, "must be an object");
                None
            }
        }
    }

    /// The pointer of this object.
    pub fn pointer(&self) -> &str {
        &self.pointer
    }

    /// The pointer of member `name`.
    pub fn field_pointer(&self, name: &str) -> String {
        child(&self.pointer, name)
    }

    /// The raw value of `name` (`None` when absent or null), marking it known.
    pub fn value(&mut self, name: &'static str) -> Option<&'a Value> {
        self.known.push(name);
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(value) => Some(value),
        }
    }

    /// The value of `name` when it is given; when it is not, `None`, and a problem if it is
    /// `required`.
    pub fn given(
        &mut self,
        name: &'static str,
        required: bool,
        errors: &mut Errors,
    ) -> Option<&'a Value> {
        let value = self.value(name);
        if value.is_none() && required {
            errors.add(&self.field_pointer(name), "is required");
        }
        value
    }

    /// A string field of 1 to `max_chars` characters, trimmed of surrounding white space.
    pub fn text(
        &mut self,
        name: &'static str,
        required: bool,
        max_chars: usize,
        errors: &mut Errors,
    ) -> Option<String> {
        let pointer = self.field_pointer(name);
        match self.given(name, required, errors)? {
            Value::String(text) => {
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    errors.add(&pointer, "must not be empty");
                    None
                } else if trimmed.chars().count() > max_chars {
                    errors.add(&pointer, format!("must be at most {max_chars} characters"));
                    None
                } else if trimmed.chars().any(char::is_control) {
                    errors.add(&pointer, "must not contain control characters");
                    None
                } else {
                    Some(trimmed.to_string())
                }
            }
            _ => {
                errors.add(&pointer, "must be a string");
                None
            }
        }
    }

    /// A boolean field.
    pub fn boolean(&mut self, name: &'static str, errors: &mut Errors) -> Option<bool> {
        let pointer = self.field_pointer(name);
        match self.given(name, true, errors)? {
            Value::Bool(b) => Some(*b),
            _ => {
                errors.add(&pointer, "must be true or false");
                None
            }
        }
    }

    /// A whole number field in `min..=max`.
    pub fn whole(
        &mut self,
        name: &'static str,
        required: bool,
        min: u32,
        max: u32,
        errors: &mut Errors,
    ) -> Option<u32> {
        let pointer = self.field_pointer(name);
        match self.given(name, required, errors)? {
            Value::Number(n) => match n.as_u64().and_then(|n| u32::try_from(n).ok()) {
                Some(n) if (min..=max).contains(&n) => Some(n),
                _ => {
                    errors.add(
                        &pointer,
                        format!("must be a whole number from {min} to {max}"),
                    );
                    None
                }
            },
            _ => {
                errors.add(&pointer, "must be a whole number");
                None
            }
        }
    }

    /// Reports every field of the object that was not read as unknown.
    pub fn finish(self, errors: &mut Errors) {
        for name in self.map.keys() {
            if !self.known.contains(&name.as_str()) {
                errors.add(&child(&self.pointer, name), "is not a known field");
            }
        }
    }
}
