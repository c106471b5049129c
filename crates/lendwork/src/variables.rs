//! Application and component variables, resolved the way Spin resolves them.
//!
//! Application variables (`[variables]`) take their value from the environment variable
//! `SPIN_VARIABLE_<NAME>` (upper-cased), else from their `default`; a `required` variable
//! with neither stops start-up. Component variables are templates over application
//! variables (`"{{ api_keys }}"`) and are what a component's `variables::get` sees.
//! Everything is resolved once at start; values are never logged.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use anyhow::{Result, bail};

use crate::manifest::Manifest;

/// The resolved variables of one component.
#[derive(Debug, Clone, Default)]
pub struct ComponentVariables {
    values: Arc<HashMap<String, String>>,
}

impl ComponentVariables {
    /// The value of the component variable `name`, if the component declares it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// These variables with `name` set to `value`, if the component declares `name`
    /// (a component sees only the variables it declares).
    pub fn with(&self, name: &str, value: &str) -> ComponentVariables {
        if !self.values.contains_key(name) {
            return self.clone();
        }
        let mut values = (*self.values).clone();
        values.insert(name.to_string(), value.to_string());
        ComponentVariables {
            values: Arc::new(values),
        }
    }
}

/// Lists the application variables a template refers to.
pub fn template_references(template: &str) -> Result<Vec<String>> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|part| match part {
            Part::Reference(name) => Some(name),
            Part::Literal(_) => None,
        })
        .collect())
}

enum Part {
    Literal(String),
    Reference(String),
}

fn parse_template(template: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            parts.push(Part::Literal(rest[..start].to_string()));
        }
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            bail!("unterminated `{{{{` in template");
        };
        let name = after[..end].trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            bail!("`{{{{ {name} }}}}` is not a variable reference");
        }
        parts.push(Part::Reference(name.to_string()));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest.to_string()));
    }
    Ok(parts)
}

/// Resolves every component's variables; `env` looks up environment variables.
pub fn resolve(
    manifest: &Manifest,
    env: impl Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, ComponentVariables>> {
    let mut app_values = HashMap::new();
    for (name, decl) in &manifest.variables {
        let env_name = format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase());
        let value = env(&env_name).or_else(|| decl.default.clone());
        match value {
            Some(value) => {
                app_values.insert(name.clone(), value);
            }
            None if decl.required => bail!(
                "variable `{name}` is required: set it with the environment variable {env_name}"
            ),
            None => {}
        }
    }
    let mut out = BTreeMap::new();
    for (id, component) in &manifest.components {
        let mut values = HashMap::new();
        for (name, template) in &component.variables {
            let mut value = String::new();
            let mut complete = true;
            for part in parse_template(template)? {
                match part {
                    Part::Literal(text) => value.push_str(&text),
                    Part::Reference(reference) => match app_values.get(&reference) {
                        Some(v) => value.push_str(v),
                        None => complete = false,
                    },
                }
            }
            // A template over an unset optional variable is undefined, as in Spin.
            if complete {
                values.insert(name.clone(), value);
            }
        }
        out.insert(
            id.clone(),
            ComponentVariables {
                values: Arc::new(values),
            },
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    const MANIFEST: &str = r#"
spin_manifest_version = 2
[application]
name = "vars"
[variables]
token = { required = true, secret = true }
region = { default = "eu" }
optional = { }
[component.api]
source = "api.wasm"
[component.api.variables]
token = "{{ token }}"
url = "https://{{ region }}.example.com/{{region}}"
literal = "plain"
maybe = "{{ optional }}"
"#;

    fn manifest() -> Manifest {
        Manifest::parse(MANIFEST, Path::new("/")).unwrap()
    }

    #[test]
    fn defaults_templates_and_environment_overrides() {
        let env = |name: &str| (name == "SPIN_VARIABLE_TOKEN").then(|| "s3cret".to_string());
        let vars = resolve(&manifest(), env).unwrap();
        let api = &vars["api"];
        assert_eq!(api.get("token"), Some("s3cret"));
        assert_eq!(api.get("url"), Some("https://eu.example.com/eu"));
        assert_eq!(api.get("literal"), Some("plain"));
        assert_eq!(api.get("maybe"), None);
        assert_eq!(api.get("undeclared"), None);

        let env = |name: &str| match name {
            "SPIN_VARIABLE_TOKEN" => Some("t".to_string()),
            "SPIN_VARIABLE_REGION" => Some("us".to_string()),
            _ => None,
        };
        let vars = resolve(&manifest(), env).unwrap();
        assert_eq!(vars["api"].get("url"), Some("https://us.example.com/us"));
    }

    #[test]
    fn missing_required_variable_names_the_environment_variable() {
        let err = resolve(&manifest(), |_| None).unwrap_err().to_string();
        assert!(err.contains("SPIN_VARIABLE_TOKEN"), "{err}");
        assert!(!err.contains("s3cret"));
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert!(template_references("{{ token").is_err());
        assert!(template_references("{{ Bad-Name }}").is_err());
        assert_eq!(
            template_references("a{{ x }}b{{y}}").unwrap(),
            vec!["x", "y"]
        );
    }
}
