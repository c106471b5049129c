//! The Spin application manifest (`spin.toml`, manifest version 2), as far as Lendwork uses it.
//!
//! Parsing is strict where Spin is strict (unknown trigger types, missing components,
//! conflicting dependency inheritance settings) and every error names the key, the component
//! and the reason, so an operator can fix the file without reading code.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::routes::RoutePattern;

/// A parsed and checked manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The application's name.
    pub name: String,
    /// The application's version, if given.
    pub version: Option<String>,
    /// Application variables by name.
    pub variables: BTreeMap<String, VariableDecl>,
    /// HTTP routes, in manifest order.
    pub http_triggers: Vec<HttpTrigger>,
    /// Components with a private HTTP trigger (`route = { private = true }`): reachable
    /// only through local service chaining (`http://<component>.spin.internal`), as in Spin.
    pub private_http_components: Vec<String>,
    /// Cron schedules, in manifest order.
    pub cron_triggers: Vec<CronTrigger>,
    /// Components by id.
    pub components: BTreeMap<String, ComponentDecl>,
    /// Directory the manifest was read from; relative paths resolve against it.
    pub base_dir: PathBuf,
}

/// An application variable (`[variables]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariableDecl {
    /// Value used when no provider supplies one.
    pub default: Option<String>,
    /// Whether start-up fails when no value is available.
    #[serde(default)]
    pub required: bool,
    /// Whether the value is a secret (never logged).
    #[serde(default)]
    pub secret: bool,
    /// Free-form description.
    pub description: Option<String>,
}

/// One `[[trigger.http]]` entry.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    /// The route pattern (`/exact` or `/prefix/...`).
    pub route: RoutePattern,
    /// The component that handles it.
    pub component: String,
}

/// One `[[trigger.cron]]` entry (the format of Spin's cron trigger plugin).
#[derive(Debug, Clone)]
pub struct CronTrigger {
    /// Six- or seven-field cron expression with seconds, e.g. `0 0 2 * * *`.
    pub cron_expression: String,
    /// The component that handles it.
    pub component: String,
}

/// A `[component.<id>]` section.
#[derive(Debug, Clone)]
pub struct ComponentDecl {
    /// Component id (the table key).
    pub id: String,
    /// Absolute path of the component's `.wasm`.
    pub source: PathBuf,
    /// Key-value store labels the component may open.
    pub key_value_stores: Vec<String>,
    /// Outbound hosts the component may call (Spin's syntax, e.g. `http://*.spin.internal`).
    pub allowed_outbound_hosts: Vec<String>,
    /// Component variables (values may reference application variables with `{{ name }}`).
    pub variables: BTreeMap<String, String>,
    /// Imports satisfied by other components, composed at load time.
    pub dependencies: Vec<Dependency>,
}

/// A `[component.<id>.dependencies]` entry with a local path.
#[derive(Debug, Clone)]
pub struct Dependency {
    /// The import it satisfies: `package:name/interface[@version]` or a whole package.
    pub import: String,
    /// Absolute path of the dependency's `.wasm`.
    pub path: PathBuf,
    /// Whether the dependency shares the parent's configuration (stores, variables, hosts).
    pub inherit_configuration: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    spin_manifest_version: toml::Value,
    application: RawApplication,
    #[serde(default)]
    variables: BTreeMap<String, VariableDecl>,
    #[serde(default)]
    trigger: BTreeMap<String, Vec<toml::Table>>,
    /// Parsed one by one, so an error names its component.
    #[serde(default)]
    component: BTreeMap<String, toml::Table>,
}

#[derive(Deserialize)]
struct RawApplication {
    name: String,
    version: Option<String>,
    // Other keys (description, authors, trigger settings) are accepted and ignored, as
    // they do not change how the host runs the application.
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawComponent {
    source: toml::Value,
    #[serde(default)]
    key_value_stores: Vec<String>,
    #[serde(default)]
    allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    variables: BTreeMap<String, String>,
    #[serde(default)]
    dependencies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    dependencies_inherit_configuration: Option<bool>,
    // Keys Spin accepts that do not affect how this host runs a component.
    #[serde(default, rename = "description")]
    _description: Option<String>,
    #[serde(default, rename = "build")]
    _build: Option<toml::Value>,
    #[serde(default, rename = "files")]
    _files: Option<toml::Value>,
    #[serde(default, rename = "exclude_files")]
    _exclude_files: Option<toml::Value>,
    #[serde(default, rename = "environment")]
    _environment: Option<toml::Value>,
    #[serde(default, rename = "sqlite_databases")]
    _sqlite_databases: Option<Vec<String>>,
    #[serde(default, rename = "ai_models")]
    _ai_models: Option<Vec<String>>,
    #[serde(default, rename = "tool")]
    _tool: Option<toml::Value>,
}

impl Manifest {
    /// Reads and checks the manifest at `path`.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        let base_dir = path
            .canonicalize()
            .with_context(|| format!("cannot resolve manifest path {}", path.display()))?
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        Manifest::parse(&text, &base_dir)
            .with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses manifest text; relative paths resolve against `base_dir`.
    pub fn parse(text: &str, base_dir: &Path) -> Result<Manifest> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        match raw.spin_manifest_version {
            toml::Value::Integer(2) => {}
            toml::Value::String(ref s) if s == "2" => {}
            other => bail!(
                "`spin_manifest_version` must be 2 (found {other}); version 1 manifests are not supported"
            ),
        }
        for name in raw.variables.keys() {
            check_variable_name(name).with_context(|| format!("[variables] key `{name}`"))?;
        }
        for (name, decl) in &raw.variables {
            if decl.required && decl.default.is_some() {
                bail!(
                    "[variables] `{name}`: a variable cannot be both `required` and have a `default`"
                );
            }
        }

        let mut components = BTreeMap::new();
        for (id, table) in raw.component {
            let component = table
                .try_into::<RawComponent>()
                .map_err(|e| anyhow::anyhow!("{}", e.message()))
                .and_then(|raw_component| {
                    parse_component(&id, raw_component, base_dir, &raw.variables)
                })
                .with_context(|| format!("[component.{id}]"))?;
            components.insert(id, component);
        }

        let mut http_triggers = Vec::new();
        let mut private_http_components = Vec::new();
        let mut cron_triggers = Vec::new();
        for (kind, entries) in raw.trigger {
            for (index, entry) in entries.into_iter().enumerate() {
                let place = format!("[[trigger.{kind}]] #{}", index + 1);
                let component = trigger_component(&entry).with_context(|| place.clone())?;
                if !components.contains_key(&component) {
                    bail!(
                        "{place}: component `{component}` is not defined by any [component.{component}] section"
                    );
                }
                match kind.as_str() {
                    "http" => match entry.get("route") {
                        Some(toml::Value::Table(route)) => {
                            check_private_route(route).with_context(|| place.clone())?;
                            private_http_components.push(component);
                        }
                        _ => {
                            let route =
                                string_key(&entry, "route").with_context(|| place.clone())?;
                            let route =
                                RoutePattern::parse(&route).with_context(|| place.clone())?;
                            http_triggers.push(HttpTrigger { route, component });
                        }
                    },
                    "cron" => {
                        let cron_expression =
                            string_key(&entry, "cron_expression").with_context(|| place.clone())?;
                        crate::cron::Schedule::parse(&cron_expression)
                            .with_context(|| format!("{place}: `cron_expression`"))?;
                        cron_triggers.push(CronTrigger {
                            cron_expression,
                            component,
                        });
                    }
                    other => bail!(
                        "{place}: no trigger named `{other}`; this host runs `http` and `cron` triggers"
                    ),
                }
            }
        }
        check_duplicate_routes(&http_triggers)?;

        Ok(Manifest {
            name: raw.application.name,
            version: raw.application.version,
            variables: raw.variables,
            http_triggers,
            private_http_components,
            cron_triggers,
            components,
            base_dir: base_dir.to_path_buf(),
        })
    }
}

fn parse_component(
    id: &str,
    raw: RawComponent,
    base_dir: &Path,
    app_variables: &BTreeMap<String, VariableDecl>,
) -> Result<ComponentDecl> {
    check_component_id(id)?;
    let source = match raw.source {
        toml::Value::String(path) => base_dir.join(path),
        toml::Value::Table(_) => bail!(
            "`source`: remote sources (url/digest or registry) are not supported by this host; build the component and give a local path"
        ),
        other => bail!("`source` must be a path string, found {}", other.type_str()),
    };
    for label in &raw.key_value_stores {
        if label.is_empty() {
            bail!("`key_value_stores`: a store label cannot be empty");
        }
    }
    for host in &raw.allowed_outbound_hosts {
        crate::outbound::AllowedHost::parse(host)
            .with_context(|| format!("`allowed_outbound_hosts` entry `{host}`"))?;
    }
    for (name, template) in &raw.variables {
        check_variable_name(name).with_context(|| format!("`variables` key `{name}`"))?;
        for reference in crate::variables::template_references(template)
            .with_context(|| format!("`variables.{name}`"))?
        {
            if !app_variables.contains_key(&reference) {
                bail!(
                    "`variables.{name}` refers to `{{{{ {reference} }}}}`, which [variables] does not declare"
                );
            }
        }
    }

    let mut dependencies = Vec::new();
    let mut any_inherit_field = false;
    for (import, value) in raw.dependencies {
        let (path, inherit) = match value {
            toml::Value::Table(table) => {
                let path = match table.get("path") {
                    Some(toml::Value::String(path)) => base_dir.join(path),
                    Some(_) => bail!("dependency `{import}`: `path` must be a string"),
                    None => bail!(
                        "dependency `{import}`: only local `path` dependencies are supported by this host (no registry, url or version)"
                    ),
                };
                for key in table.keys() {
                    if !matches!(key.as_str(), "path" | "inherit_configuration" | "export") {
                        bail!("dependency `{import}`: unknown key `{key}`");
                    }
                }
                if table.contains_key("export") {
                    bail!("dependency `{import}`: `export` renaming is not supported by this host");
                }
                let inherit = match table.get("inherit_configuration") {
                    None => None,
                    Some(toml::Value::Boolean(b)) => Some(*b),
                    Some(_) => bail!(
                        "dependency `{import}`: `inherit_configuration` must be true or false"
                    ),
                };
                (path, inherit)
            }
            _ => bail!(
                "dependency `{import}`: give a table with a local `path`, e.g. {{ path = \"dep.wasm\" }}"
            ),
        };
        any_inherit_field |= inherit.is_some();
        dependencies.push((import, path, inherit));
    }
    if raw.dependencies_inherit_configuration.is_some() && any_inherit_field {
        bail!(
            "`dependencies_inherit_configuration` (Spin 3) and per-dependency `inherit_configuration` (Spin 4) cannot both be used"
        );
    }
    let component_wide = raw.dependencies_inherit_configuration.unwrap_or(false);
    let dependencies = dependencies
        .into_iter()
        .map(|(import, path, inherit)| Dependency {
            import,
            path,
            inherit_configuration: inherit.unwrap_or(component_wide),
        })
        .collect();

    Ok(ComponentDecl {
        id: id.to_string(),
        source,
        key_value_stores: raw.key_value_stores,
        allowed_outbound_hosts: raw.allowed_outbound_hosts,
        variables: raw.variables,
        dependencies,
    })
}

fn trigger_component(entry: &toml::Table) -> Result<String> {
    match entry.get("component") {
        Some(toml::Value::String(id)) => Ok(id.clone()),
        Some(toml::Value::Table(_)) => {
            bail!(
                "inline component tables are not supported; define the component in [component.<id>] and name it"
            )
        }
        Some(_) => bail!("`component` must be a component id string"),
        None => bail!("missing `component`"),
    }
}

/// A route given as a table must be Spin's `{ private = true }`.
fn check_private_route(route: &toml::Table) -> Result<()> {
    match route.get("private") {
        Some(toml::Value::Boolean(true)) if route.len() == 1 => Ok(()),
        _ => bail!("`route` must be a path or `{{ private = true }}`"),
    }
}

fn string_key(entry: &toml::Table, key: &str) -> Result<String> {
    match entry.get(key) {
        Some(toml::Value::String(s)) => Ok(s.clone()),
        Some(_) => bail!("`{key}` must be a string"),
        None => bail!("missing `{key}`"),
    }
}

/// Spin's rule for variable names: lower-case letters, digits and underscores, starting
/// with a letter.
fn check_variable_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
    if !first_ok || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        bail!("variable names are lower-case letters, digits and `_`, starting with a letter");
    }
    Ok(())
}

/// Spin's rule for component ids: lower-case words of letters and digits joined by `-`.
fn check_component_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.split('-').all(|word| {
            !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && id.starts_with(|c: char| c.is_ascii_lowercase());
    if !ok {
        bail!("component id `{id}` must be lower-case words of letters and digits joined by `-`");
    }
    Ok(())
}

fn check_duplicate_routes(triggers: &[HttpTrigger]) -> Result<()> {
    let mut seen: HashMap<&RoutePattern, &str> = HashMap::new();
    for trigger in triggers {
        if let Some(previous) = seen.insert(&trigger.route, &trigger.component) {
            bail!(
                "route `{}` is claimed twice (components `{previous}` and `{}`)",
                trigger.route,
                trigger.component
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"
spin_manifest_version = 2
[application]
name = "demo"
[variables]
token = { required = true, secret = true }
region = { default = "eu" }
[[trigger.http]]
route = "/api/..."
component = "api"
[[trigger.cron]]
cron_expression = "0 0 2 * * *"
component = "api"
[component.api]
source = "api.wasm"
key_value_stores = ["default"]
allowed_outbound_hosts = ["http://*.spin.internal"]
[component.api.variables]
token = "{{ token }}"
[component.api.dependencies]
"lending:ledger/ledger" = { path = "ledger.wasm", inherit_configuration = true }
"#;

    #[test]
    fn parses_a_complete_manifest() {
        let m = Manifest::parse(BASE, Path::new("/app")).unwrap();
        assert_eq!(m.name, "demo");
        assert_eq!(m.http_triggers.len(), 1);
        assert_eq!(m.http_triggers[0].route.to_string(), "/api/...");
        assert_eq!(m.cron_triggers[0].cron_expression, "0 0 2 * * *");
        let api = &m.components["api"];
        assert_eq!(api.source, Path::new("/app/api.wasm"));
        assert_eq!(api.dependencies[0].import, "lending:ledger/ledger");
        assert!(api.dependencies[0].inherit_configuration);
        assert!(m.variables["token"].secret);
    }

    fn error_of(text: &str) -> String {
        format!(
            "{:#}",
            Manifest::parse(text, Path::new("/app")).unwrap_err()
        )
    }

    #[test]
    fn names_the_missing_component() {
        let text = BASE.replace(
            "component = \"api\"\n[[trigger.cron]]",
            "component = \"nope\"\n[[trigger.cron]]",
        );
        let err = error_of(&text);
        assert!(
            err.contains("[[trigger.http]] #1") && err.contains("`nope`"),
            "{err}"
        );
    }

    #[test]
    fn refuses_unknown_trigger_types_like_spin() {
        let text = format!("{BASE}\n[[trigger.redis]]\ncomponent = \"api\"\nchannel = \"x\"\n");
        assert!(error_of(&text).contains("no trigger named `redis`"));
    }

    #[test]
    fn refuses_both_inheritance_forms() {
        let text = BASE.replace(
            "[component.api.variables]",
            "dependencies_inherit_configuration = true\n[component.api.variables]",
        );
        assert!(error_of(&text).contains("cannot both be used"));
    }

    #[test]
    fn spin3_inheritance_form_applies_to_every_dependency() {
        let text = BASE.replace(", inherit_configuration = true", "").replace(
            "[component.api.variables]",
            "dependencies_inherit_configuration = true\n[component.api.variables]",
        );
        let m = Manifest::parse(&text, Path::new("/app")).unwrap();
        assert!(m.components["api"].dependencies[0].inherit_configuration);
    }

    #[test]
    fn refuses_undeclared_variable_references() {
        let text = BASE.replace("token = \"{{ token }}\"", "token = \"{{ missing }}\"");
        let err = error_of(&text);
        assert!(
            err.contains("[component.api]") && err.contains("missing"),
            "{err}"
        );
    }

    #[test]
    fn refuses_bad_cron_expressions() {
        let text = BASE.replace("0 0 2 * * *", "every night");
        assert!(error_of(&text).contains("cron_expression"));
    }

    #[test]
    fn refuses_unknown_component_keys() {
        let text = BASE.replace("source = \"api.wasm\"", "source = \"api.wasm\"\nsorce = 1");
        let err = error_of(&text);
        assert!(err.contains("sorce"), "{err}");
    }

    #[test]
    fn private_routes_are_chaining_only() {
        let text = format!(
            "{BASE}\n[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"api\"\n"
        );
        let m = Manifest::parse(&text, Path::new("/")).unwrap();
        assert_eq!(m.private_http_components, ["api"]);
        assert_eq!(m.http_triggers.len(), 1, "the public route stays");
        for bad in [
            "{ private = false }",
            "{ private = true, path = \"/x\" }",
            "{ }",
        ] {
            let text = format!("{BASE}\n[[trigger.http]]\nroute = {bad}\ncomponent = \"api\"\n");
            let error = Manifest::parse(&text, Path::new("/")).unwrap_err();
            assert!(
                format!("{error:#}").contains("private = true"),
                "{bad}: {error:#}"
            );
        }
    }

    #[test]
    fn refuses_duplicate_routes() {
        let text = format!("{BASE}\n[[trigger.http]]\nroute = \"/api/...\"\ncomponent = \"api\"\n");
        assert!(error_of(&text).contains("claimed twice"));
    }
}
